// The cluster audit of the cluster-scale benchmark (src/cluster/audit.ts)
// must see what it is for: a duplicate planted in two nodes' records and a
// tagged ENI whose instance is gone are both caught, and a clean cluster
// counts zero. First on plain records, then on a two-node sim where the
// duplicate is imported into a real store and the leak is a real ENI.
import t from 'tap';
import { bin } from '@cello/testkit';
import { audit, auditCounts, type CloudView, gatherAudit, type NodeStore } from '../src/cluster/audit.ts';
import { startClusterSim, writeNodeConf } from '../src/cluster/sim.ts';
import { uniqueSimName } from '@cello/vpc-sim';

const tags = (instance: string) => [
  { Key: 'k8s:cello:created-by', Value: 'cello' },
  { Key: 'k8s:cello:ecs-id', Value: instance },
];

t.test('on records: a clean cluster, then a planted duplicate, stray and leak', async (t) => {
  const cloud: CloudView = {
    instances: [
      { id: 'i-1', node: 'node1' },
      { id: 'i-2', node: 'node2' },
    ],
    enis: [
      { id: 'eni-a', status: 'InUse', instanceId: 'i-1', primaryIp: '10.0.0.10', secondaryIps: ['10.0.0.11'], ipv6s: [], tags: tags('i-1') },
      { id: 'eni-b', status: 'InUse', instanceId: 'i-2', primaryIp: '10.0.0.20', secondaryIps: ['10.0.0.21'], ipv6s: [], tags: tags('i-2') },
    ],
  };
  const stores: NodeStore[] = [
    {
      node: 'node1',
      instanceId: 'i-1',
      ips: [
        { ip: '10.0.0.10', eniId: 'eni-a', state: 'free' },
        { ip: '10.0.0.11', eniId: 'eni-a', state: 'used' },
      ],
    },
    {
      node: 'node2',
      instanceId: 'i-2',
      ips: [
        { ip: '10.0.0.20', eniId: 'eni-b', state: 'free' },
        { ip: '10.0.0.21', eniId: 'eni-b', state: 'free' },
      ],
    },
  ];
  t.same(auditCounts(audit(cloud, stores)), { duplicates: 0, strays: 0, leaks: 0 }, 'clean');

  stores[1]!.ips.push({ ip: '10.0.0.11', eniId: 'eni-a', state: 'free' });
  cloud.enis.push({ id: 'eni-c', status: 'Available', instanceId: '', primaryIp: '10.0.0.30', secondaryIps: [], ipv6s: [], tags: tags('i-gone') });
  cloud.enis.push({ id: 'eni-d', status: 'Available', instanceId: '', primaryIp: '10.0.0.40', secondaryIps: [], ipv6s: [], tags: [] });
  const r = audit(cloud, stores);
  t.same(auditCounts(r), { duplicates: 1, strays: 1, leaks: 1 }, 'one of each, and an untagged ENI is none of ours');
  t.match(r.duplicates[0]!.detail, /node1\/eni-a and node2\/eni-a/);
  t.match(r.strays[0]!.detail, /node2\/eni-a: eni-a is InUse on i-1, not on i-2/);
  t.equal(r.leaks[0]!.what, 'eni-c');
});

t.test('on a sim: a duplicate imported into a real store, a leak left by a deleted instance', async (t) => {
  const sim = await startClusterSim({ name: uniqueSimName('aud'), nodes: 3 });
  t.teardown(() => sim.down());
  const nodes = sim.info.nodes.map((n) => n.name);
  for (const n of nodes) writeNodeConf(sim, n, { poolTarget: 2, poolMonitorIntervalSec: 3600 });
  const filled = await Promise.all(nodes.map((n) => sim.exec(n, [bin('cello-eni'), 'pool', '--once'])));
  for (const [i, r] of filled.entries()) t.equal(r.code, 0, `${nodes[i]} met its target (${r.stderr.slice(-200)})`);
  t.same(auditCounts(await gatherAudit(sim, nodes)), { duplicates: 0, strays: 0, leaks: 0 }, 'three filled nodes audit clean');

  // The duplicate: node1's first pod IP, imported into node2's store on node1's ENI.
  const [ip] = JSON.parse((await sim.exec('node1', [bin('cello-ipam'), 'list', '--output', 'json'])).stdout) as Array<{ ip: string; eniId: string }>;
  const eniOf1 = JSON.parse((await sim.exec('node1', [bin('cello-ipam'), 'list', 'enis', '--output', 'json'])).stdout)[0];
  const imported = await sim.exec('node2', [bin('cello-ipam'), 'import'], { input: JSON.stringify({ enis: [{ ...eniOf1, ips: [ip!.ip], ipv6s: [] }] }) });
  t.equal(imported.code, 0, `planted ${ip!.ip} in node2's store (${imported.stderr.slice(-200)})`);
  // The leak: node3's instance deleted; its ENI stays, Available, tagged for it.
  await sim.control.deleteInstance('node3');

  const r = await gatherAudit(sim, nodes);
  t.equal(r.duplicates.length, 1, `the duplicate is caught: ${r.duplicates[0]?.detail}`);
  t.equal(r.duplicates[0]?.what, ip!.ip);
  t.ok(
    r.strays.some((s) => s.what === ip!.ip && /node2/.test(s.detail)),
    'and node2 holding it is a stray: the cloud gives it to node1',
  );
  t.equal(r.leaks.length, 1, `the leak is caught: ${r.leaks[0]?.detail}`);
  t.equal(r.checked.nodes, 2, 'the deleted node has no store to read');
});
