// Fixed addresses end to end (docs/podnetworks.md, "Fixed addresses"): a StatefulSet-style pod
// shop/db-0 of a Fixed PodNetwork moves node1 → node2 → node1 and keeps its address, with node2's
// instance deleted in between (its ENI left Available, still holding the address). At every step
// the cloud has the address on at most one ENI, and the pod's PodAddress names where it is. Once
// the pod is gone for the network's releaseAfter, node1 releases the address: the PodAddress is
// deleted and the address is an ordinary one again.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, createNetns, echoServer, type Netns, repoRoot } from '@cello/testkit';
import { execOk, FAST_DELAYS, k8sOk, libcniInNode, withSim } from '@cello/testkit/sim';

const sim = await withSim(t, { nodes: 2, config: { delaysMs: FAST_DELAYS } });
const [defaultSubnet, dbSubnet] = sim.info.subnets;
const group = sim.info.securityGroups[0]!.id;
const NETWORKS = '/apis/cello.volcengine.com/v1alpha1/podnetworks';
const ADDRESS = '/apis/cello.volcengine.com/v1alpha1/namespaces/shop/podaddresses/db-0';
const cleanup: Array<() => Promise<unknown>> = [];
t.teardown(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

const k8s = (method: string, path: string, body?: unknown) => k8sOk(sim, method, path, body);
const must = (node: string, cmd: string[], input?: string) => execOk(sim, node, cmd, input);
const agentPass = async (node: string) => JSON.parse(await must(node, [process.execPath, bin('cello-agent'), 'pod-networks', '--once', '--output', 'json']));
const keeperOnce = (node: string) => must(node, [bin('cello-eni'), 'pool', '--once']);

/** The ENIs the cloud has `ip` on (secondary addresses), with their instance and status. */
async function holders(ip: string) {
  return (await sim.control.state()).enis.filter((e) => e.secondaryIps.includes(ip)).map((e) => ({ id: e.id, instanceId: e.instanceId, status: e.status }));
}
const instanceOf = (node: string) => sim.info.nodes.find((n) => n.name === node)!.instanceId;

/** The pod object on `node` (a new UID each time, as a StatefulSet recreates it), then its sandbox through libcni. */
async function startPod(t: Test, node: string, round: number): Promise<{ ip: string; netns: Netns }> {
  await k8s('POST', '/api/v1/namespaces/shop/pods', {
    metadata: { name: 'db-0', namespace: 'shop' },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'x' }] },
  });
  const pass = await agentPass(node);
  t.match(pass.decided, [{ podName: 'db-0', network: 'db' }], `${node}: db-0 decided for db`);
  await keeperOnce(node);
  const netns = await createNetns('fx');
  cleanup.push(() => netns.remove());
  const r = await libcniInNode(sim, node, 'add', { netns: netns.path, id: `db-0-${round}`, podNamespace: 'shop', pod: 'db-0' });
  t.equal(r.code, 0, `ADD on ${node}: ${r.stdout}${r.stderr}`);
  const ip = (JSON.parse(r.stdout).ips[0].address as string).split('/')[0]!;
  await agentPass(node); // publishes the PodAddress
  return { ip, netns };
}

async function stopPod(t: Test, node: string, round: number, netns: Netns) {
  const r = await libcniInNode(sim, node, 'del', { netns: netns.path, id: `db-0-${round}`, podNamespace: 'shop', pod: 'db-0' });
  t.equal(r.code, 0, `DEL on ${node}: ${r.stderr}`);
  await k8s('DELETE', '/api/v1/namespaces/shop/pods/db-0');
}

/** The node reaches the pod's address through the VPC (the router sends it to the ENI that holds it). */
async function reachable(from: string, ip: string): Promise<string> {
  const probe =
    "const s=require('net').connect(8080,process.argv[1]);s.on('data',()=>{console.log('ok');process.exit(0)});s.on('error',e=>{console.error(e.message);process.exit(1)});setTimeout(()=>{console.error('timeout');process.exit(1)},3000)";
  const r = await sim.exec(from, [process.execPath, '-e', probe, ip]);
  return r.stdout.trim() || r.stderr.trim();
}

let X = '';
t.test('setup: a Fixed PodNetwork for namespace shop, both nodes configured', async () => {
  await k8s('POST', '/api/v1/namespaces', { metadata: { name: 'shop', labels: { app: 'db' } } });
  await k8s('POST', NETWORKS, {
    apiVersion: 'cello.volcengine.com/v1alpha1',
    kind: 'PodNetwork',
    metadata: { name: 'db' },
    spec: {
      namespaceSelector: { matchLabels: { app: 'db' } },
      subnets: { ids: [dbSubnet!.id] },
      securityGroupIds: [group],
      allocation: { type: 'Fixed', releaseAfter: '1h' },
    },
  });
  const conf = JSON.stringify({
    subnets: [defaultSubnet!.id],
    securityGroups: [group],
    ramRole: sim.info.metadata.ramRole,
    openApiAddress: sim.info.openapi.endpoint,
    poolTarget: 1,
    ipCooldownSec: 0,
  });
  for (const node of ['node1', 'node2']) {
    await must(node, ['sh', '-c', 'mkdir -p /etc/cello && cat > /etc/cello/conf'], conf);
    await must(node, ['sh', '-c', 'cat > /etc/cni/net.d/10-cello.conflist'], readFileSync(join(repoRoot, 'manifests/cni/10-cello.conflist'), 'utf8'));
  }
});

t.test('node1: the first sandbox takes an address of db; the PodAddress names node1', async (t) => {
  const { ip, netns } = await startPod(t, 'node1', 1);
  X = ip;
  t.ok(X.startsWith(dbSubnet!.cidr.split('.').slice(0, 3).join('.')), `an address of db's subnet (${X})`);
  const held = await holders(X);
  t.match(held, [{ instanceId: instanceOf('node1') }], 'on one ENI, of node1');
  t.match((await k8s('GET', ADDRESS)).spec, { podNetwork: 'db', ip: X, nodeName: 'node1', eniId: held[0]!.id, subnetId: dbSubnet!.id });
  await stopPod(t, 'node1', 1, netns);
});

t.test('node2: the pod recreated there gets the same address, moved from node1’s ENI', async (t) => {
  await agentPass('node1'); // node1 forgets the pod's decision
  const { ip, netns } = await startPod(t, 'node2', 2);
  t.equal(ip, X, 'the same address');
  t.match(await holders(X), [{ instanceId: instanceOf('node2') }], 'on one ENI, now of node2');
  t.equal((await k8s('GET', ADDRESS)).spec.nodeName, 'node2', 'the PodAddress follows');
  const server = await echoServer(netns.name);
  cleanup.push(() => server.stop());
  t.equal(await reachable('node1', X), 'ok', 'node1 reaches the pod at its address on node2, through the VPC');
});

t.test('node2’s instance is deleted; the pod comes back to node1 with its address', async (t) => {
  await sim.control.deleteInstance('node2', true);
  const left = await holders(X);
  t.match(left, [{ status: 'Available' }], 'the address stays on node2’s ENI, left Available');
  await k8s('DELETE', '/api/v1/namespaces/shop/pods/db-0'); // the pod of a lost node, force-deleted
  const { ip, netns } = await startPod(t, 'node1', 3);
  t.equal(ip, X, 'the same address again');
  t.match(await holders(X), [{ instanceId: instanceOf('node1'), status: 'InUse' }], 'taken off the dead node’s ENI, on one ENI of node1');
  t.equal((await k8s('GET', ADDRESS)).spec.nodeName, 'node1');
  const check = JSON.parse(await must('node1', [bin('cello-ipam'), 'check', '--output', 'json']));
  t.match(check, { ok: true, findings: [] }, 'node1’s store is consistent');

  // Gone for releaseAfter: node1 releases the address.
  await stopPod(t, 'node1', 3, netns);
  const network = await k8s('GET', `${NETWORKS}/db`);
  await k8s('PUT', `${NETWORKS}/db`, { ...network, spec: { ...network.spec, allocation: { type: 'Fixed', releaseAfter: '1s' } } });
  await new Promise((r) => setTimeout(r, 1500));
  const pass = await agentPass('node1');
  t.match(pass.fixedAddresses, { released: [`shop/db-0=${X}`] }, 'released after releaseAfter');
  t.equal((await sim.control.k8s('GET', ADDRESS)).status, 404, 'the PodAddress is deleted');
  const fixed = JSON.parse(await must('node1', [bin('cello-ipam'), 'list', 'ips', '--output', 'json'])) as Array<{ ip: string; state: string }>;
  t.match(
    fixed.find((i) => i.ip === X),
    { state: 'free' },
    'the address is an ordinary free one of node1’s pool',
  );
});
