// Under a hostile API — 30 % of calls throttled (FlowLimitExceeded), some
// 5xx, some HTML instead of JSON — the pool still converges, up and down,
// and the sim's call log shows no action ever sent faster than the client's
// token bucket allows.
import t from 'tap';
import type { CallRecord } from '@cello/vpc-sim';
import { FAST_DELAYS, withSim } from '@cello/testkit/sim';
import { assertConsistent, baseConf, callsOf, countBy, eni, poolStats, writeConf } from './helpers.ts';

const RATES = {
  default: { qps: 5, burst: 5 },
  CreateNetworkInterface: { qps: 2, burst: 2 },
  AttachNetworkInterface: { qps: 2, burst: 2 },
  DetachNetworkInterface: { qps: 2, burst: 2 },
  DeleteNetworkInterface: { qps: 2, burst: 2 },
  DescribeNetworkInterfaceAttributes: { qps: 4, burst: 4 },
};

/**
 * The most calls of one action in any window, against what a bucket of
 * `qps`/`burst` lets through. The log has the sim's arrival times, not the
 * client's send times: 250 ms is allowed for the server picking a request up
 * late (a busy machine) and so squeezing a window. Without the buckets the
 * client would exceed this many times over (its polls start at 50 ms).
 */
function worstWindow(calls: CallRecord[], qps: number, burst: number): { excess: number; at?: string } {
  const times = calls.map((c) => Date.parse(c.time)).sort((a, b) => a - b);
  let worst = { excess: -Infinity, at: undefined as string | undefined };
  for (let i = 0; i < times.length; i++) {
    for (let j = i; j < times.length; j++) {
      const allowed = burst + (qps * (times[j]! - times[i]! + 250)) / 1000;
      const excess = j - i + 1 - allowed;
      if (excess > worst.excess) worst = { excess, at: new Date(times[i]!).toISOString() };
    }
  }
  return worst;
}

t.test('convergence under throttling and server errors, within the client rate', async (t) => {
  const sim = await withSim(t, { nodes: 1, config: { delaysMs: FAST_DELAYS } });
  const node = 'node1';
  for (const f of [
    { kind: 'error', code: 'FlowLimitExceeded', status: 503, probability: 0.3 },
    { kind: 'error', status: 500, probability: 0.05 },
    { kind: 'error', status: 503, probability: 0.05 },
    { kind: 'garbage', probability: 0.03 },
  ] as const) {
    await sim.control.addFault(f);
  }

  writeConf(sim, node, baseConf(sim, { poolTarget: 25, rateLimits: RATES }));
  const up = await eni(sim, node, ['pool', '--once']);
  t.equal(up.code, 0, `filled despite the faults ${up.code ? up.stderr.split('\n').slice(-2).join(' ') : ''}`);
  t.equal((await poolStats(sim, node)).available, 25, '25 free IPs');
  await assertConsistent(t, sim, node, 'after filling under faults');

  writeConf(sim, node, baseConf(sim, { poolTarget: 5, rateLimits: RATES }));
  const down = await eni(sim, node, ['pool', '--once']);
  t.equal(down.code, 0, `trimmed despite the faults ${down.code ? down.stderr.split('\n').slice(-2).join(' ') : ''}`);
  t.equal((await poolStats(sim, node)).available, 5, '5 free IPs');
  await assertConsistent(t, sim, node, 'after trimming under faults');

  const calls = await callsOf(sim, node);
  const codes = countBy(calls, (c) => c.code);
  t.ok((codes.FlowLimitExceeded ?? 0) > 0, `calls were throttled (${codes.FlowLimitExceeded}) and retried`);
  t.ok((codes.InternalError ?? 0) + (codes.ServiceUnavailableTemp ?? 0) + (codes['garbage 502'] ?? 0) > 0, `and hit server errors (${JSON.stringify(codes)})`);
  t.comment(`call outcomes: ${JSON.stringify(codes)}`);

  for (const action of new Set(calls.map((c) => c.action))) {
    const list = calls.filter((c) => c.action === action);
    const rate = RATES[action as keyof typeof RATES] ?? RATES.default;
    const w = worstWindow(list, rate.qps, rate.burst);
    t.ok(
      w.excess <= 0,
      `${action}: ${list.length} calls, never more than ${rate.burst} + ${rate.qps}/s in any window (worst margin ${w.excess.toFixed(2)} at ${w.at})`,
    );
  }
});
