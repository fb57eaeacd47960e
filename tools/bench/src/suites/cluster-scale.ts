// A cluster on one account (issue 14): N sim nodes (100 by default) start
// their pool keepers (`cello-eni pool --once`) at the same moment, as after
// an autoscaler added them; then pods come and go through the CNI binary
// (libcni) on a sample of nodes while their keepers (`pool --watch`) adjust;
// 10 % of the instances are deleted after the first churn round
// (`vpc-sim instance delete`) and the cluster sweep runs
// (`cello-gc cluster --once --grace 0`); last, the audit holds the cloud
// against every live node's store (no IP on two nodes, none a store holds
// that the cloud does not give that node's ENI, no tagged ENI of a gone
// instance).
//
// Reported: time from the start until each node's first IP and until its
// pool is met (p50, p99, max) beside the fairness bound (writes ÷ limit +
// create and attach time + 10 s), OpenAPI calls by action with throttled
// counts (the sim's call log), reads and writes per ENI and per pod, the
// audit's counts, peak memory (sim server, keepers).
//
// Knobs (environment): CLUSTER_NODES (100), CLUSTER_FLOW_LIMIT (calls/s per
// action for the account; default the sim's own, 0 = none), CLUSTER_SAMPLE
// (5 churning nodes), CLUSTER_CELLO_ENI (the keeper binary, default
// bin/cello-eni: another build for before/after figures). Alone:
//   node_modules/.bin/tsx tools/bench/src/suites/cluster-scale.ts
//   make bench SUITES=cluster-scale
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { type BenchReport, publish } from '../report.ts';
import { type ClusterReport, DEFAULT_CLUSTER, runCluster } from '../cluster/scenario.ts';
import { formatCalls } from '../cluster/calls.ts';

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const n2 = (v: number) => v.toFixed(2);

export function clusterLines(r: ClusterReport): string[] {
  const u = r.scaleUp;
  return [
    `${r.nodes} nodes, account limit ${r.flowLimit ?? 'none'} calls/s per action; sim up in ${s(r.upMs)}`,
    `scale-up: ${u.met}/${r.nodes} pools met; first IP p50 ${s(u.firstIpMs.p50)} p99 ${s(u.firstIpMs.p99)} max ${s(u.firstIpMs.max)}; met p50 ${s(u.metMs.p50)} p99 ${s(u.metMs.p99)} max ${s(u.metMs.max)} (p99/p50 ${n2(u.p99OverP50)})` +
      (u.fairnessBoundMs !== null ? `; bound ${s(u.fairnessBoundMs)}, first IP within it on ${u.firstIpWithinBound}/${r.nodes}` : ''),
    `scale-up, keepers connected (process start, metadata, credentials) p50 ${s(u.startedMs.p50)} max ${s(u.startedMs.max)}; from connected to first IP p50 ${s(u.firstIpAfterStartMs.p50)} p99 ${s(u.firstIpAfterStartMs.p99)} max ${s(u.firstIpAfterStartMs.max)} (p99/p50 ${n2(u.firstIpAfterStartMs.p99 / u.firstIpAfterStartMs.p50)})`,
    `scale-up CPU: keepers used ${u.keeperCpuTotalSec.toFixed(0)} CPU-s together (p50 ${u.keeperCpuSec.p50.toFixed(2)} s each) on ${cpus().length} cores: ≥ ${s((u.keeperCpuTotalSec / cpus().length) * 1000)} of wall time for the machine alone`,
    `the sim's own state changes during scale-up: create p50 ${s(u.simCreateMs.p50)} max ${s(u.simCreateMs.max)}; attach p50 ${s(u.simAttachMs.p50)} max ${s(u.simAttachMs.max)} (configured: 0.3 s each)`,
    `scale-up calls: ${formatCalls(u.calls)}`,
    `scale-up per ENI attached (${u.enisAttached}): reads ${n2(u.perEni.reads)} (answered ${n2(u.perEni.readsOk)}), writes ${n2(u.perEni.writes)} (answered ${n2(u.perEni.writesOk)}); status reads ${n2(u.statusReadsPerEni)}`,
    `churn on ${r.churn.sample} nodes: ${r.churn.adds} ADDs (${r.churn.addFailures} failed, p50 ${s(r.churn.addMs.p50)}, max ${s(r.churn.addMs.max)}), ${r.churn.dels} DELs (${r.churn.delFailures} failed)`,
    `churn calls: ${formatCalls(r.churn.calls)}; per pod added: reads ${n2(r.churn.perPod.reads)}, writes ${n2(r.churn.perPod.writes)}`,
    `node loss: ${r.loss.victims} instances deleted; sweep exit ${r.sweep.exitCode} in ${s(r.sweep.ms)}: ${formatCalls(r.sweep.calls)}`,
    `audit: ${r.audit.duplicates} duplicates, ${r.audit.strays} strays, ${r.audit.leaks} leaks (${r.audit.checked.ips} IPs on ${r.audit.checked.nodes} nodes, ${r.audit.checked.enis} ENIs)`,
    `memory: sim server ${r.memory.serverAfterUpMiB.toFixed(0)} MiB after up, peak ${r.memory.serverPeakMiB.toFixed(0)} MiB; keepers at once peak ${r.memory.keepersPeakMiB.toFixed(0)} MiB (${r.memory.keeperPerNodeMiB.toFixed(0)} MiB per node)`,
  ];
}

function options() {
  const env = process.env;
  const limit = env.CLUSTER_FLOW_LIMIT;
  return {
    ...DEFAULT_CLUSTER,
    name: `bcl${process.pid % 100000}`,
    nodes: Number(env.CLUSTER_NODES ?? DEFAULT_CLUSTER.nodes),
    sample: Number(env.CLUSTER_SAMPLE ?? DEFAULT_CLUSTER.sample),
    ...(limit !== undefined ? { flowLimit: Number(limit) } : {}),
    log: (line: string) => console.error(`cluster-scale: ${line}`),
  };
}

const suite = {
  name: 'cluster-scale',
  async run(): Promise<BenchReport> {
    const r = await runCluster(options());
    return { suite: 'cluster-scale', lines: clusterLines(r), data: r as unknown as Record<string, unknown> };
  },
};
export default suite;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) publish(await suite.run());
