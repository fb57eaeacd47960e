/**
 * @cello/cello-gc: the leak sweep, for a node and for the cluster. bin/cello-gc
 * is a thin shell over this; cello-agent may run it in-process:
 *
 *   const report = await sweepNode({ stateDir, graceSec: 300, cloud: config, log });
 *   const report = await sweepCluster({ config, graceSec: 300, log });
 *   exitCodeOf(report);   // 1 when something found could not be fixed
 */
export { ORPHAN_MARK_TAG, planFor, sweepCluster, type ClusterSweepOptions } from './cluster/sweep.ts';
export { instanceOfNode, membership, type Membership } from './cluster/membership.ts';
export { FIRST_SEEN_FILE, FirstSeen } from './first-seen.ts';
export { clusterNodes, podsOnNode, type KubeOptions, type NodeFacts, type PodFacts, type View } from './kube.ts';
export type { UnknownIpPolicy } from './node/cloud.ts';
export { sandboxVerdict, type SandboxEvidence, type Verdict } from './node/sandboxes.ts';
export { GC_NODE_LOCK, sweepNode, type NodeSweepOptions } from './node/sweep.ts';
export { exitCodeOf, summarize, type Finding, type LeakKind, type Outcome, type Summary, type SweepReport } from './report.ts';
export { parseValidAttachments, readValidAttachments, type Attachment } from './valid-attachments.ts';
