// The pod networks' pools (pool/networks.ts, docs/podnetworks.md) on the simulated VPC: with pods of
// this node decided for PodNetwork "blue" (written into the node's store, as cello-agent does), the
// keeper makes ENIs for blue in blue's subnet with blue's security group and tag, keeps them apart
// from the default pool, re-imports them as blue after the store is lost, and gives them back once
// no pod here is on blue; in --watch, a decision wakes the keeper.
import { rmSync } from 'node:fs';
import t from 'tap';
import { withStore } from '@cello/cello-ipam';
import { bin, waitFor } from '@cello/testkit';
import { FAST_DELAYS, nodePath, withSim } from '@cello/testkit/sim';
import { baseConf, callsOf, cloudEnis, countBy, eni, ipam, writeConf } from './helpers.ts';

const sim = await withSim(t, {
  nodes: 1,
  config: {
    delaysMs: FAST_DELAYS,
    securityGroups: ['default', 'blue'],
    subnets: [
      { name: 'subnet-1', cidr: '192.168.1.0/24', zone: 'cn-beijing-a' },
      { name: 'subnet-2', cidr: '192.168.2.0/24', zone: 'cn-beijing-a', tags: { 'example.com/network': 'blue' } },
    ],
  },
});
const node = 'node1';
const [defaultSubnet, blueSubnet] = sim.info.subnets;
const group = (name: string) => sim.info.securityGroups.find((g) => g.name === name)!.id;
writeConf(sim, node, baseConf(sim, { subnets: [defaultSubnet!.id], securityGroups: [group('default')], poolTarget: 2 }));

const blue = {
  name: 'blue',
  spec: {
    namespaceSelector: { matchLabels: { team: 'blue' } },
    subnets: { ids: [blueSubnet!.id] },
    securityGroupIds: [group('blue')],
    mode: 'shared' as const,
    allocation: { type: 'Elastic' as const },
  },
};
const stateDir = nodePath(sim, node, '/var/lib/cello');
const asAgent = (fn: Parameters<typeof withStore>[1]) => withStore({ stateDir }, fn);
const decideBlue = (...pods: string[]) =>
  asAgent((s) => {
    s.replacePodNetworks([blue]);
    for (const p of pods) s.decidePodNetwork({ podNamespace: 'shop', podName: p, podUid: `uid-${p}`, network: 'blue', reason: 'matched podnetwork blue' });
  });
const blueEnis = async () => (await cloudEnis(sim, node)).filter((e) => e.tags.some((tag) => tag.Key === 'k8s:cello:pod-network' && tag.Value === 'blue'));
const stats = async () => (await ipam(sim, node, ['stats', '-o', 'json'])).json;

t.test("pods decided for blue get blue's own ENI, apart from the default pool", async (t) => {
  decideBlue('web-0', 'web-1');
  const r = await eni(sim, node, ['pool', '--once']);
  t.equal(r.code, 0, `met ${r.code ? r.stderr.slice(-400) : ''}`);
  const [b, ...more] = await blueEnis();
  t.ok(b, 'an ENI tagged for blue');
  t.equal(more.length, 0, 'one is enough');
  t.equal(b!.subnetId, blueSubnet!.id, "in blue's subnet");
  t.same(b!.securityGroupIds, [group('blue')], "with blue's security group only");
  t.equal(1 + b!.secondaryIps.length, 3, 'with an IP for each of the 2 pods waiting and podNetworkPoolTarget (1) more');
  const s = await stats();
  t.same(s.podNetworks, { blue: { enis: 1, available: 3, demand: 0 } }, 'cello-ipam has it as blue');
  t.equal(s.totals.available, 2, 'the default pool is its own target, unaffected');
  const others = (await cloudEnis(sim, node)).filter((e) => e.id !== b!.id);
  t.ok(others.length > 0, 'the default pool has its own ENI');
  t.ok(
    others.every((e) => e.subnetId === defaultSubnet!.id && e.securityGroupIds.join() === group('default')),
    "in the config's subnet and group",
  );

  const pod = await ipam(sim, node, ['alloc', '--container', 'w0', '--pod-namespace', 'shop', '--pod-name', 'web-0', '--pod-network', 'blue']);
  t.equal(pod.json.eni.id, b!.id, 'a blue pod gets an address of that ENI');
  const since = (await sim.control.calls()).at(-1)?.seq ?? 0;
  t.equal((await eni(sim, node, ['pool', '--once'])).code, 0);
  const writes = countBy(await callsOf(sim, node, since), (c) => c.action);
  t.notOk(writes.CreateNetworkInterface || writes.AssignPrivateIpAddresses, 'one pod waiting and two free: nothing to add');
});

t.test('a lost store: the reconcile re-imports the ENI as blue from its tag', async (t) => {
  const [b] = await blueEnis();
  for (const f of ['ipam.db', 'ipam.db-wal', 'ipam.db-shm']) rmSync(`${stateDir}/${f}`, { force: true });
  decideBlue('web-0', 'web-1');
  const r = await eni(sim, node, ['pool', '--once']);
  t.equal(r.code, 0, r.code ? r.stderr.slice(-400) : 'the keeper met its targets');
  const enis = (await ipam(sim, node, ['list', 'enis', '-o', 'json'])).json as Array<{ id: string; podNetwork?: string }>;
  t.match(
    enis.find((e) => e.id === b!.id),
    { podNetwork: 'blue' },
    'known as blue again, never as a default-network ENI',
  );
  t.equal((await blueEnis()).length, 1, 'and no second blue ENI made');
});

t.test('no pod here on blue any more: its ENI goes back to the cloud, the default pool stays', async (t) => {
  asAgent((s) => {
    for (const d of s.podNetworkDecisions()) s.forgetPodNetworkDecision(d.podNamespace, d.podName);
  });
  const before = (await cloudEnis(sim, node)).length;
  const r = await eni(sim, node, ['pool', '--once']);
  t.equal(r.code, 0, r.code ? r.stderr.slice(-400) : 'the keeper met its targets');
  t.same(await blueEnis(), [], 'the blue ENI is deleted');
  t.equal((await cloudEnis(sim, node)).length, before - 1, 'nothing else went');
  const s = await stats();
  t.same(s.podNetworks, {}, 'cello-ipam forgot it');
  t.equal(s.totals.available, 2);
  const check = await ipam(sim, node, ['check', '-o', 'json']);
  t.equal(check.code, 0, `cello-ipam check passes ${check.stdout}`);
});

t.test('subnets by tag: a network naming no subnet id gets ENIs in the subnets carrying its tags', async (t) => {
  const teal = { ...blue, name: 'teal', spec: { ...blue.spec, subnets: { tags: { 'example.com/network': 'blue' } } } };
  asAgent((s) => {
    s.replacePodNetworks([teal]);
    s.decidePodNetwork({ podNamespace: 'shop', podName: 'db-0', podUid: 'uid-db-0', network: 'teal', reason: 'matched podnetwork teal' });
  });
  const r = await eni(sim, node, ['pool', '--once']);
  t.equal(r.code, 0, r.code ? r.stderr.slice(-400) : 'the keeper met its targets');
  const made = (await cloudEnis(sim, node)).filter((e) => e.tags.some((tag) => tag.Key === 'k8s:cello:pod-network' && tag.Value === 'teal'));
  t.equal(made.length, 1, 'an ENI for teal');
  t.equal(made[0]?.subnetId, blueSubnet!.id, 'in the subnet the tag found');
});

t.test('--watch: the keeper acts when a pod is decided for a network, and when its last pod leaves', async (t) => {
  asAgent((s) => {
    for (const d of s.podNetworkDecisions()) s.forgetPodNetworkDecision(d.podNamespace, d.podName);
    s.replacePodNetworks([blue]);
  });
  // An hour between full rounds: whatever happens below, a decision woke it.
  writeConf(sim, node, baseConf(sim, { subnets: [defaultSubnet!.id], securityGroups: [group('default')], poolTarget: 2, poolMonitorIntervalSec: 3600 }));
  const keeper = sim.spawn(node, [bin('cello-eni'), 'pool', '--watch']);
  let log = '';
  keeper.stderr!.on('data', (d: Buffer) => (log += d));
  t.teardown(() => void keeper.kill('SIGKILL'));
  await waitFor(() => log.includes('watching: rounds on demand'), { what: 'the keeper to watch' });
  const before = (await blueEnis()).length;
  decideBlue('api-9');
  t.ok(await waitFor(async () => (await blueEnis()).length > before, { what: "blue's ENI" }), 'a decision for blue wakes the keeper, which makes blue an ENI');
  t.match(log, /a pod network needs its pool changed; acting now/);
  asAgent((s) => s.forgetPodNetworkDecision('shop', 'api-9'));
  t.ok(await waitFor(async () => (await blueEnis()).length === 0, { what: "blue's ENI to go" }), 'its last pod gone, blue gives its ENI back');
});
