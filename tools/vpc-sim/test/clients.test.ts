// The real clients, unmodified, run on a sim node as a product would run
// them: @volcengine/openapi's Service/createAPI with role credentials from the
// metadata service against the production host name, and
// @kubernetes/client-node with the sim's kubeconfig.
import t from 'tap';
import { FAST_DELAYS, withSim } from '@cello/testkit/sim';
import { fixture } from './simkit.ts';

t.test('@volcengine/openapi on a node: the whole ENI life cycle', async (t) => {
  const sim = await withSim(t, { nodes: 1, config: { delaysMs: FAST_DELAYS } });
  const r = await sim.exec('node1', ['node', fixture('openapi-client.mjs')]);
  t.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  const node = sim.info.nodes[0]!;
  t.equal(out.instanceId, node.instanceId);
  t.equal(out.role, 'KubernetesNodeRoleForECS');
  t.same(out.limits, {
    MaximumNetworkInterfaces: 4,
    MaximumPrivateIpv4AddressesPerNetworkInterface: 10,
    MaximumQueuesPerNetworkInterface: 2,
    MaximumBandwidthMbps: 2000,
    BaselineBandwidthMbps: 1000,
    MaximumThroughputKpps: 200,
  });
  t.ok(out.retriedCreate, 'a create retried with its ClientToken returns the same ENI');
  t.equal(out.device, 'eth1', "the attached ENI is eth1 in the node's /sys/class/net");
  t.equal(out.assigned.length, 2);
  for (const ip of out.assigned) t.ok(out.metadataIps.includes(ip), `metadata lists ${ip}`);
  t.same(out.foundByTags, [out.eniId], 'found again by its tags');
  t.equal(out.attachedCount, 2, 'DescribeInstances counts primary + attached');
  t.equal(out.deviceAfterDetach, false, 'the device is gone after detach');
  t.equal(out.afterDelete, 'InvalidEniId.NotFound');
  const calls = await sim.control.calls();
  t.ok(calls.length > 10);
  t.ok(
    calls.every((c) => c.caller === node.instanceId && c.auth === 'role'),
    'every call came from the node with its role credentials',
  );
  const deleted = calls.findIndex((c) => c.action === 'DeleteNetworkInterface');
  t.same([...new Set(calls.slice(0, deleted + 1).map((c) => c.code))], ['OK'], 'and succeeded up to the delete');
  const after = calls.slice(deleted + 1);
  t.ok(
    after.every((c) => c.action === 'DescribeNetworkInterfaceAttributes'),
    'then it only polled',
  );
  t.equal(after.at(-1)?.code, 'InvalidEniId.NotFound', 'until the ENI was gone');
});

t.test('role credentials expire and rotate, seen by the real client', async (t) => {
  const sim = await withSim(t, { nodes: 1, config: { stsLifetimeSec: 2 } });
  const r = await sim.exec('node1', ['node', fixture('sts-expiry.mjs')]);
  t.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.equal(out.before, 'OK', 'fresh credentials work');
  t.equal(out.after, 'InvalidAccessKey', 'expired credentials are refused');
  t.not(out.second, out.first, 'the metadata service hands out new ones');
  t.equal(out.renewed, 'OK', 'which work');
});

t.test('@kubernetes/client-node on a node', async (t) => {
  const sim = await withSim(t, { nodes: 2 });
  const cm = await sim.control.k8s('POST', '/api/v1/namespaces/kube-system/configmaps', { metadata: { name: 'cello-config' }, data: { poolTarget: '4' } });
  t.equal(cm.status, 201);
  const r = await sim.exec('node2', ['node', fixture('k8s-client.mjs')]);
  t.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.same(out, {
    node: 'node2',
    instanceId: sim.info.nodes[1]!.instanceId,
    capacity: '27',
    config: { poolTarget: '4' },
    watched: ['ADDED mine', 'DELETED mine'],
    event: true,
  });
  const node = await sim.control.k8s('GET', '/api/v1/nodes/node2');
  t.equal(
    (node.body as { status: { capacity: Record<string, string> } }).status.capacity['vke.volcengine.com/eni-ip'],
    '27',
    'the patch is visible through the control socket',
  );
});
