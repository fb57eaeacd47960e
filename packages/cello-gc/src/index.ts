/**
 * @cello/cello-gc: the leak sweep, for a node and for the cluster. It runs as
 * bin/cello-gc (the agent starts `cello-gc node --once` per interval, cron
 * runs `cello-gc cluster`), so no package imports it in-process; this file
 * gives the rules gc's own tests check one by one.
 */
export { ORPHAN_MARK_TAG, planFor } from './cluster/sweep.ts';
export { membership } from './cluster/membership.ts';

export type { PodFacts, View } from './kube.ts';

export { sandboxVerdict, type SandboxEvidence } from './node/sandboxes.ts';

export type { SweepReport } from './report.ts';
export { parseValidAttachments } from './valid-attachments.ts';
