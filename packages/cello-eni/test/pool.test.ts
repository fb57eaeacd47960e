// The pool keeper on a fresh vpc-sim node: `pool --once` reaches its
// targets in the number of calls the batching promises (docs/cello-eni.md),
// tops up with one assign per ENI, gives back surplus (whole ENIs first),
// and `cello-eni list` follows pods as they come and go.
import t from 'tap';
import { FAST_DELAYS, withSim } from '@cello/testkit/sim';
import { assertConsistent, baseConf, callsOf, countBy, eni, FAST_BACKOFF, ipam, poolStats, writeConf } from './helpers.ts';

t.test('pool --once on a fresh node, then up, then down', async (t) => {
  const sim = await withSim(t, { nodes: 1, config: { delaysMs: FAST_DELAYS } });
  const node = 'node1';
  const limits = sim.info.instanceTypes.find((x) => x.id === sim.info.nodes[0]!.instanceType)!;
  const P = limits.maximumPrivateIpv4AddressesPerNetworkInterface; // 10 on ecs.g3i.large
  const target = 2 * P + P / 2; // 25: two full ENIs and a half one

  // The keeper's own pause before an attach (the `wait` class's 300 ms, longer than these 100 ms creates), not the tests' 50 ms.
  writeConf(sim, node, baseConf(sim, { poolTarget: target, backoff: { write: FAST_BACKOFF.write, describe: FAST_BACKOFF.describe } }));
  let since = (await sim.control.calls()).at(-1)?.seq ?? 0;
  const r = await eni(sim, node, ['pool', '--once']);
  t.equal(r.code, 0, `pool --once exits 0 (${r.stderr.split('\n').slice(-3).join(' ')})`);
  t.equal(r.json.met, true, 'and says the targets are met');
  t.same(await poolStats(sim, node), { available: target, allocations: 0, enis: 3 }, `${target} free IPs on ⌈${target}/${P}⌉ = 3 ENIs in cello-ipam`);
  await assertConsistent(t, sim, node, 'after filling');

  const calls = countBy(await callsOf(sim, node, since), (c) => c.action);
  t.equal(calls.CreateNetworkInterface, 3, 'one CreateNetworkInterface per ENI (its IPs come with it)');
  t.equal(calls.AttachNetworkInterface, 3, 'one AttachNetworkInterface per ENI');
  t.notOk(calls.AssignPrivateIpAddresses, 'no AssignPrivateIpAddresses at all');
  t.equal(calls.DescribeSubnets, 1, 'the three creates share one DescribeSubnets');
  t.comment(`calls for poolTarget ${target} on a fresh node: ${JSON.stringify(calls)}`);

  t.test('a higher target: one assign call on the ENI with room', async (t) => {
    writeConf(sim, node, baseConf(sim, { poolTarget: target + 3 }));
    since = (await sim.control.calls()).at(-1)?.seq ?? 0;
    const r = await eni(sim, node, ['pool', '--once']);
    t.equal(r.code, 0, 'met');
    const calls = countBy(await callsOf(sim, node, since), (c) => c.action);
    t.equal(calls.AssignPrivateIpAddresses, 1, 'a single AssignPrivateIpAddresses carries all 3');
    t.notOk(calls.CreateNetworkInterface, 'no new ENI');
    t.equal((await poolStats(sim, node)).available, target + 3);
    await assertConsistent(t, sim, node, 'after topping up');
  });

  t.test('pods come and go: list shows used, free and cooling per ENI', async (t) => {
    const listed = async () => {
      const l = await eni(sim, node, ['list']);
      t.equal(l.code, 0, 'list works');
      const rows = l.json.filter((e: { cello: boolean }) => e.cello);
      return rows.reduce(
        (s: { used: number; free: number; cooling: number }, e: { ipam: { used: number; free: number; cooling: number } }) => ({
          used: s.used + e.ipam.used,
          free: s.free + e.ipam.free,
          cooling: s.cooling + e.ipam.cooling,
        }),
        { used: 0, free: 0, cooling: 0 },
      );
    };
    const total = target + 3;
    t.same(await listed(), { used: 0, free: total, cooling: 0 }, 'no pods: all free');
    for (const c of ['p1', 'p2', 'p3'])
      t.equal((await ipam(sim, node, ['alloc', '--container', c, '--pod-name', c, '--pod-namespace', 'default'])).code, 0, `pod ${c} starts`);
    t.same(await listed(), { used: 3, free: total - 3, cooling: 0 }, 'three pods: three used');
    await ipam(sim, node, ['settings', 'ipCooldownSec=600']);
    t.equal((await ipam(sim, node, ['release', '--container', 'p2'])).code, 0, 'pod p2 goes');
    t.same(await listed(), { used: 2, free: total - 3, cooling: 1 }, 'its IP cools down');
    const primary = (await eni(sim, node, ['list'])).json.find((e: { type: string }) => e.type === 'primary');
    t.equal(primary.cello, false, 'the primary ENI is listed, not as a Cello ENI');
    t.notOk(primary.ipam, 'and cello-ipam has nothing on it');
    await ipam(sim, node, ['settings', 'ipCooldownSec=0']);
    for (const c of ['p1', 'p3']) await ipam(sim, node, ['release', '--container', c]);
  });

  t.test('a lower target gives back whole ENIs first, then IPs', async (t) => {
    writeConf(sim, node, baseConf(sim, { poolTarget: 4 }));
    since = (await sim.control.calls()).at(-1)?.seq ?? 0;
    const r = await eni(sim, node, ['pool', '--once']);
    t.equal(r.code, 0, 'met');
    const calls = countBy(await callsOf(sim, node, since), (c) => c.action);
    t.equal(calls.DeleteNetworkInterface, 2, 'two idle ENIs deleted');
    t.equal(calls.DetachNetworkInterface, 2, 'after being detached');
    t.equal(calls.UnassignPrivateIpAddresses, 1, 'one unassign for the IPs beyond the target on the last ENI');
    t.same(await poolStats(sim, node), { available: 4, allocations: 0, enis: 1 }, '4 free IPs left on one ENI');
    await assertConsistent(t, sim, node, 'after trimming');
  });
});
