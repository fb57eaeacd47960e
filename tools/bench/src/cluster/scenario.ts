/**
 * The cluster-scale run on one sim (docs in suites/cluster-scale.ts):
 * scale-up → churn with node loss → cluster sweep → audit.
 */
import { bin } from '@cello/testkit';
import { DEFAULT_CONFIG } from '@cello/vpc-sim';
import { auditCounts, gatherAudit } from './audit.ts';
import { callSummary, type CallSummary } from './calls.ts';
import { churn, cleanupPods, installConflist } from './churn.ts';
import { scaleUp, watchKeepers } from './keepers.ts';
import { rssKiB, sampleRss } from './memory.ts';
import { type Sim, startClusterSim, writeNodeConf } from './sim.ts';

export interface ClusterOptions {
  name: string;
  nodes: number;
  /** Account flow limit, calls/s per action (undefined: the sim's default). */
  flowLimit?: number;
  poolTarget: number;
  /** Nodes that churn pods (with keepers watching). */
  sample: number;
  /** Share of the instances deleted mid-churn. */
  lossShare: number;
  churn: { rounds: number; add: number; del: number };
  log?: (line: string) => void;
}

export const DEFAULT_CLUSTER: Omit<ClusterOptions, 'name'> = {
  nodes: 100,
  poolTarget: 10,
  sample: 5,
  lossShare: 0.1,
  churn: { rounds: 3, add: 6, del: 3 },
};

export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const stats = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: quantile(s, 0.5), p99: quantile(s, 0.99), max: s.at(-1) ?? NaN };
};

function perUnit(s: CallSummary, units: number) {
  return {
    reads: units ? s.reads / units : NaN,
    readsOk: units ? s.readsOk / units : NaN,
    writes: units ? s.writes / units : NaN,
    writesOk: units ? s.writesOk / units : NaN,
  };
}

export async function runCluster(o: ClusterOptions) {
  const log = o.log ?? (() => {});
  const t0 = Date.now();
  const sim: Sim = await startClusterSim({ name: o.name, nodes: o.nodes, flowLimit: o.flowLimit });
  const upMs = Date.now() - t0;
  const serverPid = sim.info.server.pid;
  const serverAfterUpMiB = rssKiB(serverPid) / 1024;
  log(`sim up: ${o.nodes} nodes in ${(upMs / 1000).toFixed(1)} s, server ${serverAfterUpMiB.toFixed(0)} MiB`);
  const pids = new Set<number>();
  const mem = sampleRss(() => [...pids]);
  const nodes = sim.info.nodes.map((n) => n.name);
  const limits = await sim.control.faults();
  try {
    for (const n of nodes) writeNodeConf(sim, n, { poolTarget: o.poolTarget, poolMonitorIntervalSec: 15 });

    // 1. scale-up
    const up = await scaleUp(sim, nodes, (pid) => pids.add(pid));
    const upCalls = await callSummary(sim, 0);
    const attached = upCalls.byAction.AttachNetworkInterface
      ? upCalls.byAction.AttachNetworkInterface.calls - upCalls.byAction.AttachNetworkInterface.throttled - upCalls.byAction.AttachNetworkInterface.errors
      : 0;
    const notMet = up.timings.filter((t) => t.exitCode !== 0);
    log(`scale-up: ${nodes.length - notMet.length}/${nodes.length} met; ${attached} ENIs attached`);
    for (const t of notMet.slice(0, 3)) log(`  not met on ${t.node} (exit ${t.exitCode}): ${t.stderrTail.slice(-300)}`);
    const keeperPeakMiB = mem.peakMiB();
    const simAttach = stats(transitionTimes(await sim.control.state(), 'Attaching', 'InUse'));
    const simCreate = stats(transitionTimes(await sim.control.state(), 'Creating', 'Available'));
    log(`the sim's own state changes: create p50 ${simCreate.p50} ms max ${simCreate.max} ms; attach p50 ${simAttach.p50} ms max ${simAttach.max} ms`);

    // 2–3. churn on a sample with keepers watching; node loss after its first round; then the sweep
    const sample = nodes.slice(0, o.sample);
    const victims = nodes
      .slice(o.sample)
      .filter((_, i) => i % Math.round(1 / o.lossShare) === 0)
      .slice(0, Math.round(nodes.length * o.lossShare));
    for (const n of sample) installConflist(sim, n);
    const keepers = watchKeepers(sim, sample);
    for (const c of keepers.children) if (c.pid) pids.add(c.pid);
    let churnCalls: CallSummary & { lastSeq: number } = upCalls;
    let lossAt = 0;
    const churned = await (async () => {
      await keepers.ready;
      const r = await churn(sim, sample, {
        ...o.churn,
        between: async () => {
          lossAt = Date.now();
          for (const v of victims) await sim.control.deleteInstance(v);
          log(`node loss: ${victims.length} instances deleted mid-churn`);
        },
      });
      churnCalls = await callSummary(sim, upCalls.lastSeq);
      return r;
    })().finally(() => keepers.stop());
    log(`churn: ${churned.adds} ADDs (${churned.addFailures} failed), ${churned.dels} DELs (${churned.delFailures} failed)`);
    for (const f of churned.failures.slice(0, 3)) log(`  ${f}`);

    const sweepStart = Date.now();
    const sweep = await sim.exec(sample[0]!, [bin('cello-gc'), 'cluster', '--once', '--grace', '0', '--output', 'json']);
    const sweepMs = Date.now() - sweepStart;
    const sweepCalls = await callSummary(sim, churnCalls.lastSeq);
    log(`sweep: exit ${sweep.code} in ${(sweepMs / 1000).toFixed(1)} s`);
    if (sweep.code !== 0) log(`  ${sweep.stderr.slice(-400)}`);

    // 4. audit every live node's store against the cloud
    const live = new Set(nodes.filter((n) => !victims.includes(n)));
    const report = await gatherAudit(sim, [...live]);
    const counts = auditCounts(report);
    log(`audit: ${JSON.stringify(counts)} over ${report.checked.ips} IPs on ${report.checked.nodes} nodes, ${report.checked.enis} ENIs`);
    for (const f of [...report.duplicates, ...report.strays, ...report.leaks].slice(0, 5)) log(`  ${f.kind} ${f.what}: ${f.detail}`);
    await cleanupPods(sim, churned.leftPods, new Set());

    const firstIp = stats(up.timings.flatMap((t) => (t.firstIpMs === undefined ? [] : [t.firstIpMs])));
    const met = stats(up.timings.flatMap((t) => (t.metMs === undefined ? [] : [t.metMs])));
    const cfgLimit = limits.faults.find((f) => f.source === 'config' && f.kind === 'throttle' && (f.action === '*' || !f.action));
    const limit = cfgLimit && 'rate' in cfgLimit ? cfgLimit.rate : undefined;
    const simCfg = DEFAULT_CONFIG.delaysMs;
    const fairnessBoundMs = limit ? (upCalls.writesOk / limit) * 1000 + simCfg.create + simCfg.attach + 10_000 : undefined;
    return {
      nodes: o.nodes,
      flowLimit: limit ?? null,
      upMs,
      scaleUp: {
        met: nodes.length - notMet.length,
        firstIpMs: firstIp,
        metMs: met,
        p99OverP50: met.p99 / met.p50,
        firstIpP99OverP50: firstIp.p99 / firstIp.p50,
        fairnessBoundMs: fairnessBoundMs ?? null,
        firstIpWithinBound: fairnessBoundMs === undefined ? null : up.timings.filter((t) => t.firstIpMs !== undefined && t.firstIpMs <= fairnessBoundMs).length,
        startedMs: stats(up.timings.flatMap((t) => (t.startedMs === undefined ? [] : [t.startedMs]))),
        /** From the keeper connected to its first IP: the cloud's part, without the process start this one machine serializes. */
        firstIpAfterStartMs: stats(up.timings.flatMap((t) => (t.startedMs === undefined || t.firstIpMs === undefined ? [] : [t.firstIpMs - t.startedMs]))),
        simCreateMs: simCreate,
        simAttachMs: simAttach,
        keeperCpuSec: stats(up.timings.flatMap((t) => (t.cpuSec === undefined ? [] : [t.cpuSec]))),
        keeperCpuTotalSec: up.timings.reduce((a, t) => a + (t.cpuSec ?? 0), 0),
        enisAttached: attached,
        calls: upCalls,
        perEni: perUnit(upCalls, attached),
        statusReadsPerEni: attached ? ((upCalls.byAction.DescribeNetworkInterfaceAttributes?.calls ?? 0) + 0) / attached : NaN,
      },
      churn: {
        sample: sample.length,
        adds: churned.adds,
        addFailures: churned.addFailures,
        dels: churned.dels,
        delFailures: churned.delFailures,
        addMs: stats(churned.addMs),
        calls: churnCalls,
        perPod: perUnit(churnCalls, churned.adds),
      },
      loss: { victims: victims.length, atMsAfterStart: lossAt ? lossAt - t0 : null },
      sweep: { exitCode: sweep.code, ms: sweepMs, calls: sweepCalls, summary: safeJson(sweep.stdout) },
      audit: { ...counts, checked: report.checked },
      memory: {
        serverAfterUpMiB,
        serverPeakMiB: rssKiB(serverPid, 'VmHWM') / 1024,
        keepersPeakMiB: keeperPeakMiB,
        keeperPerNodeMiB: keeperPeakMiB / o.nodes,
      },
    };
  } finally {
    mem.stop();
    await sim.down();
  }
}

/**
 * How long the sim took for a state change, per ENI (ms from entering `from`
 * to entering `to`): the configured delay plus its own queue (every attach's
 * router port, routes and source-check rules are made one at a time).
 */
function transitionTimes(state: Awaited<ReturnType<Sim['control']['state']>>, from: string, to: string): number[] {
  const entered = new Map<string, number>();
  const out: number[] = [];
  for (const t of state.transitions) {
    if (t.to === from) entered.set(t.eniId, Date.parse(t.at));
    else if (t.from === from && t.to === to && entered.has(t.eniId)) out.push(Date.parse(t.at) - entered.get(t.eniId)!);
  }
  return out;
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s.slice(-500);
  }
}

export type ClusterReport = Awaited<ReturnType<typeof runCluster>>;
