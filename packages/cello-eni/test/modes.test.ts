// The pool in each mode and family: exclusive keeps whole ENIs warm (one IP
// each), dual-stack keeps v4+v6 pairs (IPv6 with the create call, then one
// assign per family), IPv6-only keeps IPv6s. Settings reach cello-ipam, and a
// pod allocation gets what the mode promises.
import t from 'tap';
import { bin, createNetns } from '@cello/testkit';
import { FAST_DELAYS, withSim } from '@cello/testkit/sim';
import { assertConsistent, baseConf, callsOf, cloudEnis, countBy, eni, ipam, poolStats, writeConf } from './helpers.ts';

t.test('modes and families', async (t) => {
  const sim = await withSim(t, { nodes: 3, config: { delaysMs: FAST_DELAYS } });

  t.test('eni_exclusive: whole ENIs stay warm', async (t) => {
    const node = 'node1';
    writeConf(sim, node, baseConf(sim, { networkMode: 'eni_exclusive', poolTarget: 2 }));
    const r = await eni(sim, node, ['pool', '--once']);
    t.equal(r.code, 0, `met ${r.code ? r.stderr.slice(-300) : ''}`);
    const enis = await cloudEnis(sim, node);
    t.equal(enis.length, 2, 'two ENIs');
    t.ok(
      enis.every((e) => e.secondaryIps.length === 0),
      'each with its primary IP only',
    );
    t.equal((await ipam(sim, node, ['settings'])).json.networkMode, 'exclusive', 'cello-ipam is told the mode');
    const pod = await ipam(sim, node, ['alloc', '--container', 'x1', '--pod-name', 'db-0', '--pod-namespace', 'default']);
    t.equal(pod.json.mode, 'exclusive', 'a pod gets a whole ENI');
    t.ok(
      enis.some((e) => e.id === pod.json.eni.id && e.primaryIp === pod.json.ipv4),
      'with its primary IP',
    );
    t.equal((await eni(sim, node, ['pool', '--once'])).code, 0, 'the keeper tops up');
    t.equal((await cloudEnis(sim, node)).length, 3, 'one more ENI, so two are warm again');
    t.equal((await poolStats(sim, node)).available, 2, 'two free ENIs in cello-ipam');
    await assertConsistent(t, sim, node, 'exclusive');

    // A pod that really has its ENI: cello-link moves the device into the pod's namespace.
    const podNs = await createNetns('ex');
    t.teardown(podNs.remove);
    const alloc = await ipam(sim, node, ['alloc', '--container', 'x2', '--pod-name', 'db-1', '--pod-namespace', 'default', '--netns', podNs.path]);
    const setup = await sim.exec(node, [bin('cello-link'), 'setup'], { input: alloc.stdout });
    t.equal(setup.code, 0, `the ENI moves into the pod ${setup.stderr.slice(-300)}`);
    const moved = await sim.exec(node, ['ip', '-br', 'link', 'show']);
    t.notMatch(moved.stdout, new RegExp(alloc.json.eni.mac, 'i'), 'it is no longer on the host');
    writeConf(sim, node, baseConf(sim, { networkMode: 'eni_exclusive', poolTarget: 1, waitTimeoutSec: 5 }));
    const again = await eni(sim, node, ['pool', '--once']);
    t.equal(again.code, 0, `a restarted keeper does not wait for an ENI that lives in a pod ${again.code ? again.stderr.slice(-300) : ''}`);
    await sim.exec(node, [bin('cello-link'), 'teardown'], { input: alloc.stdout });
    await ipam(sim, node, ['release', '--container', 'x2']);
    await assertConsistent(t, sim, node, 'exclusive, after a pod held an ENI');
  });

  t.test('dual-stack: pairs, IPv6 in the same calls', async (t) => {
    const node = 'node2';
    writeConf(sim, node, baseConf(sim, { ipFamily: 'dual', poolTarget: 4 }));
    const since = (await sim.control.calls()).at(-1)?.seq ?? 0;
    const r = await eni(sim, node, ['pool', '--once']);
    t.equal(r.code, 0, `met ${r.code ? r.stderr.slice(-300) : ''}`);
    const [e] = await cloudEnis(sim, node);
    t.equal(1 + (e?.secondaryIps.length ?? 0), 4, 'one ENI with 4 IPv4s (primary included)');
    t.equal(e?.ipv6s.length, 4, 'and 4 IPv6s');
    const calls = countBy(await callsOf(sim, node, since), (c) => c.action);
    t.equal(calls.CreateNetworkInterface, 1, 'from one create call');
    t.notOk(calls.AssignIpv6Addresses, 'no separate IPv6 assign');
    const pod = await ipam(sim, node, ['alloc', '--container', 'd1', '--pod-name', 'web-0', '--pod-namespace', 'default']);
    t.ok(pod.json.ipv4 && pod.json.ipv6, `a pod gets a pair (${pod.json.ipv4}, ${pod.json.ipv6})`);

    writeConf(sim, node, baseConf(sim, { ipFamily: 'dual', poolTarget: 6 }));
    const since2 = (await sim.control.calls()).at(-1)?.seq ?? 0;
    t.equal((await eni(sim, node, ['pool', '--once'])).code, 0, 'met with a higher target');
    const calls2 = countBy(await callsOf(sim, node, since2), (c) => c.action);
    t.same([calls2.AssignPrivateIpAddresses, calls2.AssignIpv6Addresses], [1, 1], 'one assign per family');
    t.equal((await poolStats(sim, node)).available, 6, '6 free pairs');
    await assertConsistent(t, sim, node, 'dual-stack');
  });

  t.test('ipv6: IPv6s only', async (t) => {
    const node = 'node3';
    writeConf(sim, node, baseConf(sim, { ipFamily: 'ipv6', poolTarget: 3 }));
    t.equal((await eni(sim, node, ['pool', '--once'])).code, 0, 'met');
    const [e] = await cloudEnis(sim, node);
    t.same([e?.secondaryIps.length, e?.ipv6s.length], [0, 3], 'no secondary IPv4, three IPv6s');
    const pod = await ipam(sim, node, ['alloc', '--container', 'v1', '--pod-name', 'v6-0', '--pod-namespace', 'default']);
    t.ok(pod.json.ipv6 && !pod.json.ipv4, `a pod gets an IPv6 only (${pod.json.ipv6})`);
    await assertConsistent(t, sim, node, 'ipv6');
  });
});
