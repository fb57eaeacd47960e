// Reads are budget (issue 14): the account's flow limit counts every
// describe, whoever makes it. An attach is read where the node sees it for
// free (the metadata service); an IPv4 create is not polled for Available
// (the attach checks it, and metadata gives the new ENI's MAC and
// addresses), and a create slower than the pause costs one refused attach,
// then polls; the round's limits reuse the reconcile's listing and count the
// attached ENIs from the metadata service (no DescribeInstances); the
// instance type's limits are cached in the state dir (no
// DescribeInstanceTypes on a restart; another type, an old entry or a limit
// the cloud refuses make it ask again); one configured subnet is not
// described (nothing to choose), two are; a fresh node (no keeper created an
// ENI for it, none but the primary attached) does not list its ENIs at
// start, a restart does, and so does a node whose state dir was lost. So a
// fresh node with two subnets reads 2 times for 3 ENIs — also when metadata
// lags well behind the attach.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { nodePath, withSim } from '@cello/testkit/sim';
import { assertConsistent, baseConf, callsOf, countBy, eni, FAST_BACKOFF, nodeInfo, poolStats, writeConf } from './helpers.ts';

const STATE = '/var/lib/cello';
const CACHE = `${STATE}/instance-type-limits.json`;
const lastSeq = async (sim: { control: { calls(): Promise<Array<{ seq: number }>> } }) => (await sim.control.calls()).at(-1)?.seq ?? 0;

for (const lagMs of [250, 2000]) {
  t.test(`a fresh node filling 3 ENIs, metadata lag ${lagMs} ms`, async (t) => {
    // Creates take 200 ms, inside the keeper's 300 ms pause with room to spare on a loaded machine (the next test is the slow case).
    const delaysMs = { create: 200, attach: 300, detach: 300, delete: 300 };
    const sim = await withSim(t, { nodes: 1, config: { metadataLagMs: lagMs, flowLimits: {}, delaysMs } });
    const node = 'node1';
    // The keeper's own pause before a status read or an attach (the `wait` class's 300 ms), not the tests' short one.
    writeConf(sim, node, baseConf(sim, { poolTarget: 25, backoff: { write: FAST_BACKOFF.write, describe: FAST_BACKOFF.describe } }));
    const r = await eni(sim, node, ['pool', '--once']);
    t.equal(r.code, 0, `pool --once met (${r.stderr.split('\n').slice(-3).join(' ')})`);
    t.same(await poolStats(sim, node), { available: 25, allocations: 0, enis: 3 });
    await assertConsistent(t, sim, node, 'after filling');

    const raw = await callsOf(sim, node);
    const calls = countBy(raw, (c) => c.action);
    t.comment(`calls: ${JSON.stringify(calls)}`);
    t.equal(calls.CreateNetworkInterface, 3, 'writes at the lower bound: 3 creates');
    t.equal(calls.AttachNetworkInterface, 3, 'and 3 attaches, none refused: the ENIs were Available when attached');
    t.notOk(calls.DescribeNetworkInterfaceAttributes, "no status read: the attach itself checks the create's Available, and metadata shows the result");
    t.notOk(calls.DescribeInstances, 'no DescribeInstances: the ENIs attached to the instance come from the metadata service');
    t.equal(calls.DescribeInstanceTypes, 1, "the instance type's limits asked once");
    t.equal(calls.DescribeSubnets, 1, 'two configured subnets: one DescribeSubnets to choose between them (and none for the records)');
    const has = (c: { params: Record<string, unknown> }, prefix: string) => Object.keys(c.params).some((k) => k.startsWith(prefix));
    const listings = raw.filter((c) => c.action === 'DescribeNetworkInterfaces' && has(c, 'TagFilters'));
    t.equal(listings.length, 0, 'no listing of the ENIs tagged for the node: a fresh node has none (no keeper created any, metadata shows only the primary)');
    const status = raw.filter(
      (c) => c.action === 'DescribeNetworkInterfaceAttributes' || (c.action === 'DescribeNetworkInterfaces' && has(c, 'NetworkInterfaceIds')),
    ).length;
    t.ok(status <= 2 * 3, `at most 2 status reads per ENI (${status} for 3)`);
  });
}

t.test('a create slower than the pause before the attach: one refused attach, then the pause is learned', async (t) => {
  const sim = await withSim(t, { nodes: 1, config: { flowLimits: {}, delaysMs: { create: 1500, attach: 100, detach: 100, delete: 100 } } });
  const node = 'node1';
  // The tests' 50 ms pause, one create at a time: the first attach comes long before the create is done.
  writeConf(sim, node, baseConf(sim, { poolTarget: 25, maxConcurrentEniCreates: 1 }));
  const r = await eni(sim, node, ['pool', '--once']);
  t.equal(r.code, 0, 'pool --once met');
  await assertConsistent(t, sim, node, 'after filling');
  const attaches = (await callsOf(sim, node)).filter((c) => c.action === 'AttachNetworkInterface').map((c) => c.code);
  t.same(
    attaches,
    ['InvalidEni.InvalidStatus', 'OK', 'OK', 'OK'],
    'the first attach was refused (still Creating), never retried blindly; the next two waited long enough',
  );
});

t.test("the instance type's limits, cached in the state dir", async (t) => {
  const sim = await withSim(t, { nodes: 1, config: { flowLimits: {} } });
  const node = 'node1';
  const type = nodeInfo(sim, node).instanceType;
  const cacheFile = nodePath(sim, node, CACHE);
  const run = async (poolTarget: number) => {
    writeConf(sim, node, baseConf(sim, { poolTarget }));
    const since = await lastSeq(sim);
    const r = await eni(sim, node, ['pool', '--once']);
    return { r, calls: countBy(await callsOf(sim, node, since), (c) => c.action) };
  };

  const first = await run(5);
  t.equal(first.r.code, 0, 'a fresh node fills its pool');
  t.equal(first.calls.DescribeInstanceTypes, 1, 'asking DescribeInstanceTypes once');
  const cached = JSON.parse(readFileSync(cacheFile, 'utf8')).types[type];
  t.match(cached, { maxEnis: 4, ipsPerEni: 10, readAt: String }, 'and keeping the answer under its instance type');

  const again = await run(15);
  t.equal(again.r.code, 0, 'a restart fills a larger pool');
  t.notOk(again.calls.DescribeInstanceTypes, 'with the limits from the cache: no DescribeInstanceTypes');

  // The instance was resized (the cache knows another type only), and this type's entry is two days old: neither is used.
  const old = new Date(Date.now() - 2 * 24 * 3600_000).toISOString();
  writeFileSync(
    cacheFile,
    JSON.stringify({
      version: 1,
      types: { 'ecs.other.type': { maxEnis: 1, ipsPerEni: 1, readAt: new Date().toISOString() }, [type]: { maxEnis: 2, ipsPerEni: 2, readAt: old } },
    }),
  );
  const other = await run(25);
  t.equal(other.r.code, 0, `the pool is filled with the type's real limits (${other.r.stderr.split('\n').at(-2)})`);
  t.equal(other.calls.DescribeInstanceTypes, 1, 'asked again: an entry of another type or past its age is never used');
  t.same((await poolStats(sim, node)).enis, 3, '3 ENIs of 10 IPs');

  // A cached entry that is wrong for this type: the cloud refuses the attach past the real limit, and the entry is dropped.
  writeFileSync(cacheFile, JSON.stringify({ version: 1, types: { [type]: { maxEnis: 8, ipsPerEni: 10, readAt: new Date().toISOString() } } }));
  const wrong = await run(45);
  t.equal(wrong.r.code, 1, 'a target past the real capacity is not met');
  t.match(
    wrong.r.json?.rounds?.at(-1),
    { blockedBy: 'cloud-limit', blocked: /LimitExceeded.EnisPerInstance/ },
    'the cloud refused the attach past the real limit',
  );
  t.notOk(wrong.calls.DescribeInstanceTypes, 'the round had planned with the cached limits');
  t.equal(wrong.r.json?.rounds?.at(-1)?.before?.capacity, 70, '(7 ENI slots × 10 IPs, as the wrong entry says)');
  t.notOk(JSON.parse(readFileSync(cacheFile, 'utf8')).types?.[type], 'and the refusal dropped the entry');
  const right = await run(45);
  t.equal(right.calls.DescribeInstanceTypes, 1, 'so the next start asks the cloud');
  t.equal(right.r.json?.rounds?.at(-1)?.after?.capacity, 30, 'and plans with the real capacity (3 ENI slots × 10 IPs)');
  t.match(JSON.parse(readFileSync(cacheFile, 'utf8')).types[type], { maxEnis: 4, ipsPerEni: 10 }, 'which the cache holds now');
  await assertConsistent(t, sim, node, 'after the refused attach');
});

t.test('one configured subnet: no DescribeSubnets until a create fails', async (t) => {
  const sim = await withSim(t, {
    nodes: 1,
    config: {
      flowLimits: {},
      subnets: [
        { name: 'subnet-1', cidr: '192.168.1.0/24', zone: 'cn-beijing-a' },
        { name: 'subnet-b', cidr: '192.168.9.0/24', zone: 'cn-beijing-b' },
      ],
    },
  });
  const node = 'node1';
  const [here, elsewhere] = sim.info.subnets.map((s) => s.id);
  const run = async (subnet: string, poolTarget: number) => {
    writeConf(sim, node, { ...baseConf(sim, { poolTarget }), subnets: [subnet] });
    const since = await lastSeq(sim);
    const r = await eni(sim, node, ['pool', '--once']);
    return { r, calls: countBy(await callsOf(sim, node, since), (c) => c.action) };
  };

  const first = await run(here!, 5);
  t.equal(first.r.code, 0, 'the pool is filled');
  t.notOk(first.calls.DescribeSubnets, 'without a DescribeSubnets: nothing to choose, and the record takes the CIDR from metadata');
  await assertConsistent(t, sim, node, 'one subnet');

  // The subnet is full: the create says so, the subnet is held off, and the round is blocked with the reason.
  await sim.control.addFault({ kind: 'nth', action: 'CreateNetworkInterface', n: 1, code: 'InsufficientIpInSubnet' });
  const full = await run(here!, 15);
  t.equal(full.r.code, 1, 'a full lone subnet blocks the pool');
  t.match(full.r.stderr, /no configured subnet can take a new ENI: \S+ answered InsufficientIpInSubnet recently/, 'saying why');
  t.match(full.r.json?.rounds?.at(-1), { blockedBy: 'no-subnet' }, 'as a no-subnet block');
  t.equal(full.calls.CreateNetworkInterface, 1, 'one create was refused');
  t.equal((await poolStats(sim, node)).available, 10, 'the ENI it has was filled up to its limit');

  // A lone subnet of another zone: the first create's attach fails and is rolled back; then the picker looks, and says why.
  const zone = await run(elsewhere!, 20);
  t.equal(zone.r.code, 1, 'a lone subnet of another zone blocks the pool');
  t.match(zone.r.stderr, /no configured subnet can take a new ENI: \S+ in zone cn-beijing-b, not this node's cn-beijing-a/, 'saying why');
  t.equal(zone.calls.CreateNetworkInterface, 1, 'after one create');
  t.equal(zone.calls.DescribeSubnets, 1, 'and one DescribeSubnets, after it failed');
  await new Promise((res) => setTimeout(res, 800)); // the sim's delete takes its delay
  await assertConsistent(t, sim, node, 'after the rolled-back create');
});

t.test('the start reconcile lists the cloud unless the node is fresh', async (t) => {
  const sim = await withSim(t, { nodes: 1, config: { flowLimits: {} } });
  const node = 'node1';
  const run = async (poolTarget: number) => {
    writeConf(sim, node, baseConf(sim, { poolTarget }));
    const since = await lastSeq(sim);
    const r = await eni(sim, node, ['pool', '--once']);
    t.equal(r.code, 0, `pool --once met, target ${poolTarget} ${r.code ? r.stderr.slice(-300) : ''}`);
    const raw = await callsOf(sim, node, since);
    return raw.filter((c) => c.action === 'DescribeNetworkInterfaces' && Object.keys(c.params).some((k) => k.startsWith('TagFilters'))).length;
  };
  t.equal(await run(5), 0, 'a fresh node: no listing');
  t.ok(existsSync(nodePath(sim, node, `${STATE}/enis-created.json`)), 'the record that it created an ENI was written');
  t.equal(await run(15), 1, 'the next start lists (the record says ENIs of ours may exist)');

  // The state dir is lost (a replaced system disk), the ENIs stay attached: metadata shows them, so the start lists and adopts them.
  const stateDir = nodePath(sim, node, STATE);
  for (const f of readdirSync(stateDir)) rmSync(join(stateDir, f), { recursive: true, force: true });
  t.equal(await run(15), 1, 'a node whose state dir was lost lists too: metadata shows interfaces besides the primary');
  t.same(await poolStats(sim, node), { available: 15, allocations: 0, enis: 2 }, 'and adopts its ENIs instead of creating new ones');
  await assertConsistent(t, sim, node, 'after the state dir was lost');
});
