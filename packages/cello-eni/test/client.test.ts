// The OpenAPI client against vpc-sim, through the commands that use it: what
// is retried and what is not, ClientToken reuse across a timed-out try,
// "already done" codes taken as success, non-JSON answers survived, a full
// subnet held off (and every subnet full: a blocked round), and the manual
// lifecycle pipes (create | attach | cello-ipam import, assign, surplus |
// unassign | forget, detach, delete).
import t from 'tap';
import type { Sim } from '@cello/vpc-sim';
import { FAST_DELAYS, withSim } from '@cello/testkit/sim';
import { baseConf, callsOf, cloudEnis, countBy, eni, ipam, nodeInfo, poolStats, writeConf } from './helpers.ts';

const lastSeq = async (sim: Sim) => (await sim.control.calls()).at(-1)?.seq ?? 0;

t.test('client behaviour seen from the sim', async (t) => {
  const sim = await withSim(t, { nodes: 2, config: { delaysMs: FAST_DELAYS } });
  const node = 'node1';
  writeConf(sim, node, baseConf(sim, { openApiTimeoutSec: 1 }));
  const actions = async (since: number, action: string) => (await callsOf(sim, node, since)).filter((c) => c.action === action);

  t.test('a throttled call is retried; a terminal one is not', async (t) => {
    let since = await lastSeq(sim);
    await sim.control.addFault({ kind: 'nth', action: 'DescribeSubnets', n: 1, code: 'FlowLimitExceeded', status: 429 });
    const ok = await eni(sim, node, ['subnets']);
    t.equal(ok.code, 0, 'subnets succeeds');
    t.same(
      (await actions(since, 'DescribeSubnets')).map((c) => c.code),
      ['FlowLimitExceeded', 'OK'],
      'after one retry',
    );

    since = await lastSeq(sim);
    await sim.control.addFault({ kind: 'nth', action: 'DescribeSubnets', n: 1, code: 'InvalidParameter', status: 400 });
    const bad = await eni(sim, node, ['subnets']);
    t.equal(bad.code, 1, 'a terminal code fails the command');
    t.match(bad.stderr, /^cello-eni: DescribeSubnets: InvalidParameter: .*\(request \w+\)$/m, 'with one line naming the action, code and request id');
    t.equal((await actions(since, 'DescribeSubnets')).length, 1, 'and it was sent once');

    since = await lastSeq(sim);
    await sim.control.addFault({ kind: 'garbage', action: 'DescribeSubnets', times: 1 });
    t.equal((await eni(sim, node, ['subnets'])).code, 0, 'an HTML answer is retried too');
    t.same(
      (await actions(since, 'DescribeSubnets')).map((c) => c.code),
      ['garbage 502', 'OK'],
      'after one retry',
    );
  });

  t.test('ClientToken: a create that timed out and was retried makes one ENI', async (t) => {
    const since = await lastSeq(sim);
    const before = (await cloudEnis(sim, node)).length;
    await sim.control.addFault({ kind: 'latency', action: 'CreateNetworkInterface', ms: 2500, times: 1 });
    const r = await eni(sim, node, ['create', '--ips', '2']);
    t.equal(r.code, 0, `create succeeds ${r.code ? r.stderr.slice(-300) : ''}`);
    await new Promise((res) => setTimeout(res, 2000)); // the held first try lands in the cloud
    const creates = await actions(since, 'CreateNetworkInterface');
    t.equal(creates.length, 2, 'two CreateNetworkInterface requests reached the cloud (the first timed out on the client)');
    const enis = await cloudEnis(sim, node);
    t.equal(enis.length, before + 1, 'but only one ENI exists: both carried the same ClientToken');
    t.equal(enis.at(-1)?.id, r.json.id, 'the one the command printed');
    t.equal(enis.at(-1)?.status, 'Available', 'and it waited until Available');
    t.equal(1 + (enis.at(-1)?.secondaryIps.length ?? 0), 2, 'with the IPs asked for');
  });

  t.test('the manual pipes: attach | import, assign | import, surplus | unassign | forget, delete', async (t) => {
    const id = (await cloudEnis(sim, node)).at(-1)!.id;
    await sim.control.addFault({ kind: 'nth', action: 'AttachNetworkInterface', n: 1, code: 'InvalidEni.InvalidStatus' });
    const attached = await eni(sim, node, ['attach', id]);
    t.equal(attached.code, 0, `attach succeeds after InvalidEni.InvalidStatus is retried ${attached.code ? attached.stderr.slice(-300) : ''}`);
    t.equal(attached.json.enis[0].id, id, 'and prints an Import document');
    t.match(attached.json.enis[0].device, /^eth\d$/, 'with the host device');
    t.equal((await ipam(sim, node, ['import'], attached.stdout)).code, 0, 'which cello-ipam imports');

    const assigned = await eni(sim, node, ['assign', '--eni', id, '--count', '3']);
    t.equal(assigned.code, 0, 'assign succeeds');
    t.equal(assigned.json.enis[0].ips.length, 3, 'and prints the 3 new IPs');
    t.equal((await ipam(sim, node, ['import'], assigned.stdout)).code, 0, 'imported');
    const cloud = (await cloudEnis(sim, node)).find((e) => e.id === id)!;
    t.equal(cloud.secondaryIps.length, 4, 'the cloud has 1 + 3 secondary IPs');

    const surplus = await ipam(sim, node, ['surplus', '--keep', '2']);
    t.equal(surplus.json.enis[0].ips.length, 3, 'cello-ipam offers 3 (5 free, keep 2)');
    const removed = await eni(sim, node, ['unassign'], surplus.stdout);
    t.equal(removed.code, 0, `unassign succeeds ${removed.code ? removed.stderr.slice(-400) : ''}`);
    t.same(removed.json.enis[0].ips, surplus.json.enis[0].ips, 'and prints what it removed in the same shape');
    const again = await eni(sim, node, ['unassign'], surplus.stdout);
    t.equal(again.code, 0, 'unassigning the same IPs again is fine (they are gone)');
    t.equal((await ipam(sim, node, ['forget'], removed.stdout)).code, 0, 'forgotten');
    t.equal((await cloudEnis(sim, node)).find((e) => e.id === id)!.secondaryIps.length, 1, 'the cloud has them back');

    const notOurs = await eni(sim, node, ['delete', nodeInfo(sim, 'node2').primaryEniId]);
    t.equal(notOurs.code, 1, 'deleting an ENI Cello did not make for this node is refused');
    t.match(notOurs.stderr, /not created by Cello for this instance.*--force/, 'saying why and how to insist');
    const dry = await eni(sim, node, ['delete', id, '--dry-run']);
    t.same(dry.json.actions, ['DetachNetworkInterface', 'DeleteNetworkInterface'], '--dry-run says what delete would do');
    const since = await lastSeq(sim);
    await sim.control.addFault({ kind: 'nth', action: 'DeleteNetworkInterface', n: 1, code: 'InvalidEniId.NotFound' });
    const del = await eni(sim, node, ['delete', id]);
    t.equal(del.code, 0, 'delete treats InvalidEniId.NotFound as done');
    t.same(
      (await actions(since, 'DeleteNetworkInterface')).map((c) => c.code),
      ['InvalidEniId.NotFound'],
      'without retrying it',
    );
    t.same(
      (await actions(since, 'DetachNetworkInterface')).map((c) => c.code),
      ['OK'],
      'after detaching',
    );
  });

  t.test('a failed attach rolls back: the new ENI is deleted, and --once says why', async (t) => {
    const n = 'node2';
    writeConf(sim, n, baseConf(sim, { poolTarget: 1 }));
    const before = (await cloudEnis(sim, n)).map((e) => e.id);
    await sim.control.addFault({ kind: 'nth', action: 'AttachNetworkInterface', n: 1, code: 'LimitExceeded.EnisPerInstance' });
    const r = await eni(sim, n, ['pool', '--once']);
    t.equal(r.code, 1, 'pool --once fails');
    t.match(r.stderr, /^cello-eni: pool targets not met: LimitExceeded\.EnisPerInstance: /m, 'naming the limit');
    t.match(r.stderr, /rolling back: deleting the ENI|deleted ENI/, 'and rolling back');
    await new Promise((res) => setTimeout(res, 500)); // the sim's delete takes its delay
    t.same(
      (await cloudEnis(sim, n)).map((e) => e.id),
      before,
      'the ENI it created is gone again',
    );
    writeConf(sim, n, baseConf(sim, { poolTarget: 0 }));
  });

  t.test('InsufficientIpInSubnet: the subnet is held off and the ENI goes to the next', async (t) => {
    const n2 = 'node2';
    writeConf(sim, n2, baseConf(sim, { poolTarget: 2 }));
    const subnets = (await eni(sim, n2, ['subnets'])).json as Array<{ id: string; subnet: { availableIps: number } }>;
    const fullest = subnets.reduce((a, b) => (b.subnet.availableIps > a.subnet.availableIps ? b : a));
    await sim.control.addFault({ kind: 'nth', action: 'CreateNetworkInterface', n: 1, code: 'InsufficientIpInSubnet' });
    const since = await lastSeq(sim);
    const r = await eni(sim, n2, ['pool', '--once']);
    t.equal(r.code, 0, 'the pool is filled anyway');
    t.match(r.stderr, new RegExp(`subnet has no free IP; holding it off","subnetId":"${fullest.id}"`), 'the subnet with the most free IPs was held off');
    const [e] = await cloudEnis(sim, n2);
    t.ok(e && e.subnetId !== fullest.id, `the ENI went to the other subnet (${e?.subnetId})`);
    t.equal(countBy(await callsOf(sim, n2, since), (c) => c.action).CreateNetworkInterface, 2, 'one failed create, one that worked');
  });

  t.test('every subnet full: --once is blocked by no-subnet, and says why', async (t) => {
    const n2 = 'node2';
    t.same(await poolStats(sim, n2), { available: 2, allocations: 0, enis: 1 }, 'node2 holds one ENI with 2 free IPs');
    // 10 more: 8 assigned to the ENI it has, then one new ENI, whose create both subnets refuse.
    writeConf(sim, n2, baseConf(sim, { poolTarget: 12 }));
    for (const n of [1, 2]) await sim.control.addFault({ kind: 'nth', action: 'CreateNetworkInterface', n, code: 'InsufficientIpInSubnet' });
    const r = await eni(sim, n2, ['pool', '--once']);
    t.equal(r.code, 1, 'pool --once fails');
    t.match(r.stderr, /^cello-eni: pool targets not met: no configured subnet can take a new ENI: /m, 'naming the reason');
    t.match(
      r.json.rounds.at(-1),
      { blockedBy: 'no-subnet', blocked: /^no configured subnet can take a new ENI: / },
      'the round says what kind of obstacle it is',
    );
    t.equal((await poolStats(sim, n2)).available, 10, 'the assign to the ENI it has went through');
    writeConf(sim, n2, baseConf(sim, { poolTarget: 0 }));
  });
});
