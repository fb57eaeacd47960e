// A pod's network at ADD (docs/podnetworks.md), through libcni on a fake node whose second ENI
// serves PodNetwork "blue": the ADD reads cello-agent's decision from the store (here the test
// writes it, as the agent would), takes an address of that network's ENI, and without a decision
// waits podNetworkWaitSec, then fails with code 11 naming the pod, leaving nothing allocated.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { withStore } from '@cello/cello-ipam';
import { createNetns, waitFor } from '@cello/testkit';
import { fakeNode } from '@cello/testkit/fake-node';

const node = await fakeNode({ ipCount: 8, enis: 2, podNetworks: [undefined, 'blue'] });
t.teardown(() => node.remove());
const [defaultIps, blueIps] = [node.ips.slice(0, 4), node.ips.slice(4)];
const conflist = node.conflist('podnets', {
  cniVersion: '1.0.0',
  name: 'podnets',
  plugins: [{ type: 'cello-cni', datapath: 'veth', stateDir: node.stateDir, logFile: `${node.stateDir}/cni.log`, podNetworkWaitSec: 4 }],
});
const blue = {
  name: 'blue',
  spec: {
    namespaceSelector: { matchLabels: { team: 'blue' } },
    subnets: { ids: ['subnet-fake'] },
    securityGroupIds: ['sg-blue'],
    mode: 'shared' as const,
    allocation: { type: 'Elastic' as const },
  },
};

/** The agent's side, written straight into the node's store. */
const asAgent = (fn: Parameters<typeof withStore>[1]) => withStore({ stateDir: node.stateDir }, fn);
const decide = (podName: string, network: string, podUid = `uid-${podName}`) =>
  asAgent((s) =>
    s.decidePodNetwork({ podNamespace: 'shop', podName, podUid, network, reason: network ? `matched podnetwork ${network}` : 'no podnetwork matched' }),
  );

async function add(t: Tap, podName: string, podUid = `uid-${podName}`) {
  const pod = await createNetns('pn');
  t.teardown(async () => {
    await node.libcni('del', { conflist, netns: pod.path, id: podName, cniArgs: args(podName, podUid) });
    await pod.remove();
  });
  const r = await node.libcni('add', { conflist, netns: pod.path, id: podName, cniArgs: args(podName, podUid) });
  return { r, pod, ip: r.exitCode === 0 ? (JSON.parse(String(r.stdout)).ips[0].address as string).split('/')[0] : undefined };
}
type Tap = { teardown(fn: () => unknown): void };
const args = (podName: string, podUid: string) => `IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=${podName};K8S_POD_UID=${podUid}`;
const allocations = async () => JSON.parse(String((await node.ipam('list', 'allocations', '-o', 'json')).stdout)) as Array<{ podName: string }>;

t.test('with no PodNetwork known, pods go to the default network without waiting for a decision', async (t) => {
  const { r, ip } = await add(t, 'plain-0');
  t.equal(r.exitCode, 0, String(r.stdout));
  t.ok(defaultIps.includes(ip!), `${ip} is a default-network address`);
});

t.test("a decided pod gets its network's address, and reaches the VPC by it", async (t) => {
  asAgent((s) => s.replacePodNetworks([blue]));
  t.teardown(() => asAgent((s) => s.replacePodNetworks([])));
  decide('web-0', 'blue');
  decide('api-0', '');
  const web = await add(t, 'web-0');
  t.equal(web.r.exitCode, 0, String(web.r.stdout));
  t.ok(blueIps.includes(web.ip!), `${web.ip} is an address of blue's ENI`);
  t.equal(await node.tcp(web.pod.name, node.peerIp, node.peerPort), `hello ${web.ip}`, 'the VPC peer sees the pod by its blue address');
  const api = await add(t, 'api-0');
  t.equal(api.r.exitCode, 0, String(api.r.stdout));
  t.ok(defaultIps.includes(api.ip!), `${api.ip}: decided for the default network, it stays off blue's ENI`);
  const log = String((await node.ipam('show', web.ip!, '-o', 'json')).stdout);
  t.match(JSON.parse(log), { allocations: [{ podName: 'web-0', podNetwork: 'blue' }] }, 'the allocation records the network');
});

t.test('no decision: the ADD waits for it, and fails with code 11 naming the pod when none comes', async (t) => {
  asAgent((s) => s.replacePodNetworks([blue]));
  t.teardown(() => asAgent((s) => s.replacePodNetworks([])));
  const late = add(t, 'late-0');
  const waiting = () =>
    readFileSync(`${node.stateDir}/cni.log`, 'utf8')
      .split('\n')
      .some((l) => l.includes('shop/late-0') && l.includes('waiting for the pod-network decision'));
  await waitFor(waiting, { what: 'the ADD of late-0 to wait for its decision' });
  decide('late-0', 'blue');
  const { r, ip } = await late;
  t.equal(r.exitCode, 0, `a decision arriving during the wait is taken: ${String(r.stdout)}`);
  t.ok(blueIps.includes(ip!));

  const { r: none } = await add(t, 'orphan-0');
  t.not(none.exitCode, 0);
  t.match(JSON.parse(String(none.stdout)), { code: 11, msg: /pod shop\/orphan-0: no pod network after 4s: cello-agent has recorded no pod-network decision/ });
  t.notOk(
    (await allocations()).some((a) => a.podName === 'orphan-0'),
    'nothing was allocated for it',
  );
});

t.test('a decision for an earlier pod of the same name is not taken for a new one', async (t) => {
  asAgent((s) => s.replacePodNetworks([blue]));
  t.teardown(() => asAgent((s) => s.replacePodNetworks([])));
  decide('db-0', 'blue', 'uid-old');
  const { r } = await add(t, 'db-0', 'uid-new');
  t.match(JSON.parse(String(r.stdout)), { code: 11, msg: /for an earlier pod of that name \(uid uid-old\), not this one \(uid uid-new\)/ });
  t.notOk((await allocations()).some((a) => a.podName === 'db-0'));
  const check = JSON.parse(String((await node.ipam('check', '-o', 'json')).stdout));
  t.same(check.findings, [], 'the store is consistent');
});
