// The keeper's start-up reconcile when the cloud changed behind its back:
// IPs assigned by someone else on our ENIs are adopted, IPs taken away are
// forgotten (and the pod that held one is named in the log), an ENI someone
// else attached takes a slot from the pool's capacity, and role credentials
// that expire under a running keeper are refreshed.
import t from 'tap';
import { bin, waitFor } from '@cello/testkit';
import { FAST_DELAYS, withSim } from '@cello/testkit/sim';
import { assertConsistent, baseConf, cloudEnis, eni, ipam, ipamIps, nodeInfo, poolStats, writeConf } from './helpers.ts';

t.test('reconcile with a cloud that changed', async (t) => {
  const sim = await withSim(t, { nodes: 2, config: { delaysMs: FAST_DELAYS, stsLifetimeSec: 4 } });
  const owner = async (action: string, params: Record<string, string | number>) => {
    const r = await sim.api(action, params);
    if (r.ResponseMetadata?.Error) throw new Error(`${action}: ${r.ResponseMetadata.Error.Code}`);
    return r.Result;
  };

  t.test('adopted, forgotten and flagged', async (t) => {
    const node = 'node1';
    writeConf(sim, node, baseConf(sim, { poolTarget: 4 }));
    t.equal((await eni(sim, node, ['pool', '--once'])).code, 0, 'filled');
    const [e] = await cloudEnis(sim, node);
    // The ENI's primary goes first (and cannot be unassigned): the second pod holds a secondary IP.
    t.equal(
      (await ipam(sim, node, ['alloc', '--container', 'c0', '--pod-name', 'web-1', '--pod-namespace', 'shop'])).json.ipv4,
      e!.primaryIp,
      'a first pod holds the primary IP',
    );
    const pod = await ipam(sim, node, ['alloc', '--container', 'c1', '--pod-name', 'web-0', '--pod-namespace', 'shop']);
    t.equal(pod.code, 0, `a second pod holds ${pod.json.ipv4}`);

    const extra = (await owner('AssignPrivateIpAddresses', { NetworkInterfaceId: e!.id, SecondaryPrivateIpAddressCount: 2 })).PrivateIpSet as string[];
    await owner('UnassignPrivateIpAddresses', { NetworkInterfaceId: e!.id, 'PrivateIpAddress.1': pod.json.ipv4 });

    const r = await eni(sim, node, ['pool', '--once']);
    t.equal(r.code, 0, 'the keeper still meets its targets');
    t.match(
      r.stderr,
      new RegExp(`adopted IPs the cloud has and cello-ipam did not.*${extra[0]!.replace(/\./g, '\\.')}`),
      'the IPs someone assigned are adopted, and logged',
    );
    t.match(
      r.stderr,
      new RegExp(`the cloud no longer has an IP a pod holds.*"ip":"${pod.json.ipv4.replace(/\./g, '\\.')}".*"pod":"shop/web-0"`),
      'the IP taken away is flagged with its pod',
    );
    const ips = (await ipamIps(sim, node)).get(e!.id) ?? [];
    t.ok(
      extra.every((ip) => ips.includes(ip)),
      'cello-ipam has the adopted IPs',
    );
    t.notOk(ips.includes(pod.json.ipv4), 'and no longer the one taken away');
    const check = await ipam(sim, node, ['check', '-o', 'json']);
    t.match(
      check.json.findings.map((f: { kind: string }) => f.kind),
      ['allocation-ip-unknown'],
      'cello-ipam check reports the pod left without its address',
    );
    t.equal((await ipam(sim, node, ['release', '--container', 'c1'])).code, 0, 'the pod is deleted');
    await ipam(sim, node, ['release', '--container', 'c0']);
    t.equal((await eni(sim, node, ['pool', '--once'])).code, 0, 'and the next round is clean');
    await assertConsistent(t, sim, node, 'after the reconcile');
  });

  t.test('an ENI someone else attached takes a slot', async (t) => {
    const node = 'node2';
    const me = nodeInfo(sim, node).instanceId;
    const foreign = (await owner('CreateNetworkInterface', { SubnetId: sim.info.subnets[0]!.id, 'SecurityGroupIds.1': sim.info.securityGroups[0]!.id }))
      .NetworkInterfaceId;
    await new Promise((r) => setTimeout(r, 300)); // Creating → Available
    await owner('AttachNetworkInterface', { NetworkInterfaceId: foreign, InstanceId: me });
    writeConf(sim, node, baseConf(sim, { poolTarget: 30 }));
    // The node counts attached ENIs from the metadata service (no DescribeInstances), which shows one after its lag.
    let limits = await eni(sim, node, ['limits']);
    for (const until = Date.now() + 5000; limits.json?.foreignEnis !== 1 && Date.now() < until; ) limits = await eni(sim, node, ['limits']);
    t.match(limits.json, { maxEnis: 4, foreignEnis: 1, eniSlots: 2, capacity: { shared: 20 } }, 'limits: 4 − primary − the foreign one = 2 slots');
    const r = await eni(sim, node, ['pool', '--once']);
    t.equal(r.code, 0, 'poolTarget 30 is cut to the capacity, so it is met');
    t.same(await poolStats(sim, node), { available: 20, allocations: 0, enis: 2 }, 'two ENIs of ours, 20 IPs');
    t.notOk(
      (await cloudEnis(sim, node)).some((x) => x.id === foreign),
      'the foreign ENI is not counted as ours',
    );
    t.notOk((await ipamIps(sim, node)).has(foreign), 'nor imported');
  });

  t.test('role credentials that expire under a running keeper are refreshed', async (t) => {
    const node = 'node2';
    writeConf(sim, node, baseConf(sim, { poolTarget: 20, poolMonitorIntervalSec: 1 }));
    const keeper = sim.spawn(node, [bin('cello-eni'), 'pool', '--watch']);
    let log = '';
    keeper.stderr!.on('data', (d: Buffer) => (log += d));
    const exited = new Promise<number | null>((resolve) => keeper.on('close', resolve));
    await new Promise((r) => setTimeout(r, 6000)); // longer than the 4 s lifetime: rounds every second need fresh keys
    writeConf(sim, node, baseConf(sim, { poolTarget: 10, poolMonitorIntervalSec: 1 }));
    await waitFor(async () => (await poolStats(sim, node)).available === 10, { what: 'the pool trimmed to 10', timeoutMs: 20_000 }).catch(() => {}); // asserted below
    keeper.kill('SIGTERM');
    t.equal(await exited, 0, 'the keeper stops cleanly');
    t.equal((await poolStats(sim, node)).available, 10, 'it trimmed the pool after its first credentials expired');
    t.ok((log.match(/"msg":"role credentials fetched"/g) ?? []).length >= 1, 'it fetched new role credentials before the old ones expired');
    t.notMatch(log, /InvalidAccessKey|MissingAuthenticationToken/, 'and the cloud never refused them');
  });
});
