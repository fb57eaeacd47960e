// Where the client and the simulator must agree with the real Volcengine
// (docs/volcengine-api.md), each against vpc-sim through bin/cello-eni on a
// node: reserved tag keys, which error codes are retried (one test per class,
// the sim answering each code).
import t from 'tap';
import type { Sim } from '@cello/vpc-sim';
import { FAST_DELAYS, withSim } from '@cello/testkit/sim';
import { assertConsistent, baseConf, callsOf, cloudEnis, eni, poolStats, writeConf } from './helpers.ts';

const lastSeq = async (sim: Sim) => (await sim.control.calls()).at(-1)?.seq ?? 0;

t.test('real-cloud fidelity', async (t) => {
  const sim = await withSim(t, { nodes: 2, config: { delaysMs: FAST_DELAYS } });
  const node = 'node1';
  const calls = async (since: number, action: string) => (await callsOf(sim, node, since)).filter((c) => c.action === action);

  t.test('tags: the default works on a plain account; the VKE keys are refused there, once', async (t) => {
    writeConf(sim, node, baseConf(sim));
    const made = await eni(sim, node, ['create', '--ips', '1']);
    t.equal(made.code, 0, `create with platform left out succeeds ${made.code ? made.stderr.slice(-300) : ''}`);
    const e = (await cloudEnis(sim, node)).find((x) => x.id === made.json.id)!;
    const keys = e.tags.map((x) => x.Key).sort();
    t.same(keys, ['k8s:cello:created-by', 'k8s:cello:ecs-id'], 'it carries the k8s:cello:* keys');
    t.notOk(
      keys.some((k) => /^(volc|sys):/i.test(k)),
      'and no reserved key',
    );
    t.equal((await eni(sim, node, ['delete', made.json.id])).code, 0, 'cleaned up');

    writeConf(sim, node, baseConf(sim, { platform: 'vke' }));
    const since = await lastSeq(sim);
    const vke = await eni(sim, node, ['create', '--ips', '1']);
    t.equal(vke.code, 1, 'platform vke on a plain account fails');
    t.match(vke.stderr, /CreateNetworkInterface: InvalidTagKey\.Malformed: /, 'with the API code');
    t.same(
      (await calls(since, 'CreateNetworkInterface')).map((c) => c.code),
      ['InvalidTagKey.Malformed'],
      'and is not retried (terminal)',
    );
    writeConf(sim, node, baseConf(sim));
  });

  t.test('error classes: busy codes and unknown codes on idempotent calls are retried; terminal and unknown-on-attach are not', async (t) => {
    writeConf(sim, node, baseConf(sim));
    const made = await eni(sim, node, ['create', '--ips', '4']);
    t.equal(made.code, 0, 'an ENI with 3 secondary IPs');
    const id = made.json.id as string;
    const held = (await cloudEnis(sim, node)).find((x) => x.id === id)!.secondaryIps;

    // busy: "being operated by another request, try later"
    let since = await lastSeq(sim);
    await sim.control.addFault({ kind: 'nth', action: 'UnassignPrivateIpAddresses', n: 1, code: 'InvalidEip.InUse', status: 400 });
    const doc = (ips: string[]) => JSON.stringify({ enis: [{ id, ips, ipv6s: [], whole: false }] });
    const un = await eni(sim, node, ['unassign'], doc([held[0]!]));
    t.equal(un.code, 0, `unassign succeeds ${un.code ? un.stderr.slice(-300) : ''}`);
    t.same(
      (await calls(since, 'UnassignPrivateIpAddresses')).map((c) => c.code),
      ['InvalidEip.InUse', 'OK'],
      'InvalidEip.InUse was retried',
    );
    since = await lastSeq(sim);
    await sim.control.addFault({ kind: 'nth', action: 'UnassignPrivateIpAddresses', n: 1, code: 'InvalidAnycastEip.InUse', status: 400 });
    t.equal((await eni(sim, node, ['unassign'], doc([held[1]!]))).code, 0, 'unassign succeeds');
    t.same(
      (await calls(since, 'UnassignPrivateIpAddresses')).map((c) => c.code),
      ['InvalidAnycastEip.InUse', 'OK'],
      'InvalidAnycastEip.InUse was retried',
    );

    // unknown code, idempotent call: retried, and bounded by the class's steps (FAST_BACKOFF: 10)
    since = await lastSeq(sim);
    await sim.control.addFault({ kind: 'nth', action: 'DescribeSubnets', n: 1, code: 'SomethingNew.Unknown', status: 400 });
    t.equal((await eni(sim, node, ['subnets'])).code, 0, 'a read that met an unknown code once succeeds');
    t.same(
      (await calls(since, 'DescribeSubnets')).map((c) => c.code),
      ['SomethingNew.Unknown', 'OK'],
      'after one retry',
    );
    since = await lastSeq(sim);
    await sim.control.addFault({ kind: 'error', action: 'DescribeSubnets', code: 'SomethingNew.Unknown', status: 500, times: 50 });
    const stuck = await eni(sim, node, ['subnets']);
    await sim.control.clearFaults();
    t.equal(stuck.code, 1, 'an unknown code that persists fails in the end');
    t.match(stuck.stderr, /DescribeSubnets: SomethingNew\.Unknown: /, 'naming it');
    t.equal((await calls(since, 'DescribeSubnets')).length, 10, "after exactly the describe class's 10 tries");

    // unknown code, a create with its ClientToken: retried (the token makes the repeat harmless)
    since = await lastSeq(sim);
    await sim.control.addFault({ kind: 'nth', action: 'CreateNetworkInterface', n: 1, code: 'SomethingNew.Unknown', status: 400 });
    const second = await eni(sim, node, ['create', '--ips', '1']);
    t.equal(second.code, 0, 'a create that met an unknown code succeeds');
    t.same(
      (await calls(since, 'CreateNetworkInterface')).map((c) => c.code),
      ['SomethingNew.Unknown', 'OK'],
      'after one retry',
    );

    // unknown code, not idempotent (attach): fails at once
    since = await lastSeq(sim);
    await sim.control.addFault({ kind: 'nth', action: 'AttachNetworkInterface', n: 1, code: 'SomethingNew.Unknown', status: 400 });
    const att = await eni(sim, node, ['attach', second.json.id]);
    t.equal(att.code, 1, 'an attach that met an unknown code fails');
    t.same(
      (await calls(since, 'AttachNetworkInterface')).map((c) => c.code),
      ['SomethingNew.Unknown'],
      'without a second attach',
    );

    // terminal, answered by the sim's own rules (not injected): fails at once
    since = await lastSeq(sim);
    const bad = await eni(sim, node, ['assign', '--eni', id, '--count', '60']);
    t.equal(bad.code, 1, 'an assign past the limit fails');
    t.same(
      (await calls(since, 'AssignPrivateIpAddresses')).map((c) => c.code),
      ['LimitExceeded.PrivateIpsPerEni'],
      'once',
    );

    for (const e of [id, second.json.id]) t.equal((await eni(sim, node, ['delete', e])).code, 0, `${e} cleaned up`);
  });
});

t.test('deleteEniOnTermination: the ENIs go with a deleted instance; by default they stay, Available', async (t) => {
  const sim = await withSim(t, { nodes: 2, config: { delaysMs: FAST_DELAYS } });
  const ids: Record<string, string[]> = {};
  for (const [node, dot] of [
    ['node1', undefined],
    ['node2', true],
  ] as const) {
    writeConf(sim, node, baseConf(sim, { poolTarget: 2, ...(dot ? { deleteEniOnTermination: true } : {}) }));
    const r = await eni(sim, node, ['pool', '--once']);
    t.equal(r.code, 0, `${node}: the pool is met ${r.code ? r.stderr.slice(-300) : ''}`);
    ids[node] = (await cloudEnis(sim, node)).map((e) => e.id);
    const attach = (await callsOf(sim, node)).filter((c) => c.action === 'AttachNetworkInterface');
    t.same(
      attach.map((c) => c.params.DeleteOnTermination),
      attach.map(() => (dot ? 'true' : undefined)),
      `${node}: DeleteOnTermination ${dot ? 'sent as true' : 'not sent'}`,
    );
  }
  for (const node of ['node1', 'node2']) await sim.control.deleteInstance(node);
  const left = (await sim.control.state()).enis;
  t.same(
    ids.node1!.map((id) => left.find((e) => e.id === id)?.status),
    ids.node1!.map(() => 'Available'),
    'node1 (default): its ENIs are left Available, for the cluster sweep',
  );
  t.same(
    ids.node2!.filter((id) => left.some((e) => e.id === id)),
    [],
    'node2 (deleteEniOnTermination): its ENIs went with the instance',
  );
});

t.test('dual-stack on an instance type with 50 IPs per ENI: 49 of each family at create, the 50th IPv6 assigned once attached', async (t) => {
  const sim = await withSim(t, {
    nodes: 1,
    config: {
      delaysMs: FAST_DELAYS,
      instanceTypes: [{ id: 'ecs.g3i.50', maximumNetworkInterfaces: 3, maximumPrivateIpv4AddressesPerNetworkInterface: 50 }],
      instanceType: 'ecs.g3i.50',
    },
  });
  const node = 'node1';
  writeConf(sim, node, baseConf(sim, { ipFamily: 'dual', poolTarget: 50 }));
  const r = await eni(sim, node, ['pool', '--once']);
  t.equal(r.code, 0, `the pool is met ${r.code ? r.stderr.slice(-400) : ''}`);
  const enis = await cloudEnis(sim, node);
  t.equal(enis.length, 1, 'one ENI');
  t.equal(1 + enis[0]!.secondaryIps.length, 50, 'with 50 IPv4s (the primary and 49)');
  t.equal(enis[0]!.ipv6s.length, 50, 'and 50 IPv6s');
  const calls = await callsOf(sim, node);
  const create = calls.filter((c) => c.action === 'CreateNetworkInterface');
  t.same(
    create.map((c) => [c.code, c.params.SecondaryPrivateIpAddressCount, c.params.Ipv6AddressCount]),
    [['OK', '49', '49']],
    'the create carries 49 of each (the sim, as the API, takes at most 49)',
  );
  const v6 = calls.filter((c) => c.action === 'AssignIpv6Addresses');
  t.same(
    v6.map((c) => [c.code, c.params.Ipv6AddressCount]),
    [['OK', '1']],
    'one AssignIpv6Addresses for the 50th',
  );
  t.equal(calls.filter((c) => c.action === 'AssignPrivateIpAddresses').length, 0, 'no IPv4 assign');
  t.equal((await poolStats(sim, node)).available, 50, '50 pairs free in cello-ipam');
  await assertConsistent(t, sim, node, 'dual-stack, 50 per ENI');
});

t.test('metadata private_ipv4s with the primary listed too: the keeper works either way', async (t) => {
  const sim = await withSim(t, { nodes: 1, config: { delaysMs: FAST_DELAYS, metadataPrivateIpv4sIncludesPrimary: true } });
  const node = 'node1';
  writeConf(sim, node, baseConf(sim, { poolTarget: 6 }));
  t.equal((await eni(sim, node, ['pool', '--once'])).code, 0, 'filled (waiting for metadata to show the IPs)');
  writeConf(sim, node, baseConf(sim, { poolTarget: 2 }));
  t.equal((await eni(sim, node, ['pool', '--once'])).code, 0, 'trimmed (waiting for metadata to drop them)');
  t.equal((await poolStats(sim, node)).available, 2, 'two free');
  await assertConsistent(t, sim, node, 'private_ipv4s with the primary');
});
