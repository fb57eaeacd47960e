// Fixed addresses with the agent running as the DaemonSet runs it (docs/podnetworks.md, "Fixed
// addresses"): nothing is driven by hand between the pod object and its ADD. On node1 the first
// sandbox takes an address and the agent publishes the PodAddress. The pod recreated on node2: its
// agent claims the address and the keeper, woken by the claim, moves it before the ADD. Back on
// node1, ADDed at once: the ADD races the move and, if first, waits for it (the pod's own address,
// never another). Once the pod is gone for releaseAfter, node1 releases it.
import t from 'tap';
import { createNetns, waitFor } from '@cello/testkit';
import { FAST_DELAYS, libcniInNode, withSim } from '@cello/testkit/sim';
import { clusterConf, k8s, putConfigMap, startAgent } from './simnode.ts';

const sim = await withSim(t, { prefix: 'fx', nodes: 2, config: { delaysMs: FAST_DELAYS } });
const ADDRESS = '/apis/cello.volcengine.com/v1alpha1/namespaces/shop/podaddresses/db-0';
const podAddress = async () => {
  const r = await sim.control.k8s('GET', ADDRESS);
  return r.status === 200 ? (r.body as { spec: { ip: string; nodeName: string; eniId: string } }).spec : undefined;
};
const holders = async (ip: string) => (await sim.control.state()).enis.filter((e) => e.secondaryIps.includes(ip));
const instanceOf = (node: string) => sim.info.nodes.find((n) => n.name === node)!.instanceId;

async function podOn(node: string, round: number, beforeAdd?: () => Promise<unknown>) {
  await k8s(sim, 'POST', '/api/v1/namespaces/shop/pods', {
    metadata: { name: 'db-0', namespace: 'shop' },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'x' }] },
  });
  await beforeAdd?.();
  const netns = await createNetns('fx');
  t.teardown(() => netns.remove());
  const call = { netns: netns.path, id: `db-0-${round}`, podNamespace: 'shop', pod: 'db-0' };
  const add = await libcniInNode(sim, node, 'add', call);
  return { add, del: () => libcniInNode(sim, node, 'del', call) };
}

t.test('a pod keeps its address from node1 to node2 and back; node1 releases it after releaseAfter', async (t) => {
  await putConfigMap(sim, 'kube-system', 'cello-config', clusterConf(sim, { poolTarget: 1, poolTargetMin: 1 }));
  await k8s(sim, 'POST', '/api/v1/namespaces', { metadata: { name: 'shop', labels: { app: 'db' } } });
  await k8s(sim, 'POST', '/apis/cello.volcengine.com/v1alpha1/podnetworks', {
    metadata: { name: 'db' },
    spec: {
      namespaceSelector: { matchLabels: { app: 'db' } },
      subnets: { ids: [sim.info.subnets[1]!.id] },
      securityGroupIds: [sim.info.securityGroups[0]!.id],
      allocation: { type: 'Fixed', releaseAfter: '3s' },
    },
  });
  const agents = ['node1', 'node2'].map((node) => startAgent(t, sim, node));
  await Promise.all(agents.map((a) => a.waitForLog('node ready', (l) => l.msg.startsWith('node ready'), 60_000)));

  const first = await podOn('node1', 1);
  t.equal(first.add.code, 0, `ADD on node1: ${first.add.stderr}`);
  const ip = (JSON.parse(first.add.stdout).ips[0].address as string).split('/')[0]!;
  const published = await waitFor(async () => ((await podAddress())?.nodeName === 'node1' ? podAddress() : undefined), {
    what: 'node1’s agent publishing the PodAddress',
  });
  t.match(published, { ip, nodeName: 'node1' }, 'the PodAddress names node1');
  t.equal((await first.del()).code, 0);
  await k8s(sim, 'DELETE', '/api/v1/namespaces/shop/pods/db-0');

  // The keeper wakes when the agent claims the address: it is moved before the pod's ADD asks.
  const moved = (agent: (typeof agents)[number]) =>
    agent.waitForLog('the keeper moving the address', (l) => l.msg === 'moved a fixed address to this node' && l.ip === ip, 30_000);
  const second = await podOn('node2', 2, () => moved(agents[1]!));
  t.equal(second.add.code, 0, `ADD on node2: ${second.add.stderr}`);
  t.equal((JSON.parse(second.add.stdout).ips[0].address as string).split('/')[0], ip, 'the same address on node2');
  t.match(
    (await holders(ip)).map((e) => e.instanceId),
    [instanceOf('node2')],
    'on one ENI, of node2',
  );
  t.equal((await podAddress())?.nodeName, 'node2', 'node2 took the PodAddress over');
  // Moved on at once, before node2's agent may have republished the PodAddress with its own ENI: the
  // PodAddress can still name node1's old ENI, and node1 must find the address where the cloud has it.
  t.equal((await second.del()).code, 0);
  await k8s(sim, 'DELETE', '/api/v1/namespaces/shop/pods/db-0');

  // Back to node1, its ADD at once, racing node1's keeper taking the address back.
  const third = await podOn('node1', 3);
  t.equal(third.add.code, 0, `ADD on node1, at once: ${third.add.stderr}`);
  t.equal((JSON.parse(third.add.stdout).ips[0].address as string).split('/')[0], ip, 'the same address on node1 again');
  t.match(
    (await holders(ip)).map((e) => e.instanceId),
    [instanceOf('node1')],
    'on one ENI, of node1',
  );
  await waitFor(async () => (await podAddress())?.nodeName === 'node1', { what: 'node1’s agent publishing the PodAddress' });
  t.equal((await third.del()).code, 0);
  await k8s(sim, 'DELETE', '/api/v1/namespaces/shop/pods/db-0');
  await waitFor(async () => (await podAddress()) === undefined, { what: 'node1 releasing the address after releaseAfter', timeoutMs: 30_000 });
  t.pass('the PodAddress is deleted once the pod has been gone for releaseAfter');
  for (const a of agents) t.equal(await a.stop(), 0);
});
