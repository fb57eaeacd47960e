// The PodAddress side of fixed addresses, one `cello-agent pod-networks --once` pass at a time
// against the sim's API server, with the node's real cello-ipam store set up and read from outside:
// a PodAddress that names another node taken over and its address claimed (incoming), given up when
// the PodAddress is deleted; an address taken here published; one whose PodAddress another node
// took over marked gone, and published again when it is given back; an idle one released after
// releaseAfter, its PodAddress deleted.
import t from 'tap';
import { type IpamStore, openStore } from '@cello/cello-ipam';
import { bin } from '@cello/testkit';
import { NO_DELAYS, nodePath, withSim } from '@cello/testkit/sim';
import { k8s } from './simnode.ts';

const NODE = 'node1';
const PA = '/apis/cello.volcengine.com/v1alpha1/namespaces/shop/podaddresses';

t.test('fixed addresses: claimed, given up, published, gone, released', async (t) => {
  const sim = await withSim(t, { prefix: 'fa', config: { delaysMs: NO_DELAYS } });
  const stateDir = nodePath(sim, NODE, '/var/lib/cello');
  const withNodeStore = <T>(fn: (s: IpamStore) => T): T => {
    const store = openStore({ stateDir });
    try {
      return fn(store);
    } finally {
      store.close();
    }
  };
  const fixed = () => withNodeStore((s) => Object.fromEntries(s.fixedIps().map((f) => [f.podName, f])));
  const pass = async () => {
    const r = await sim.exec(NODE, [process.execPath, bin('cello-agent'), 'pod-networks', '--once', '--output', 'json']);
    if (r.code !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout);
  };
  const pod = (name: string) =>
    k8s(sim, 'POST', '/api/v1/namespaces/shop/pods', {
      metadata: { name, namespace: 'shop' },
      spec: { nodeName: NODE, containers: [{ name: 'c', image: 'x' }] },
    });
  const network = (releaseAfter: string) => ({
    apiVersion: 'cello.volcengine.com/v1alpha1',
    kind: 'PodNetwork',
    metadata: { name: 'db' },
    spec: {
      namespaceSelector: { matchLabels: { app: 'db' } },
      subnets: { ids: ['subnet-a'] },
      securityGroupIds: ['sg-1'],
      allocation: { type: 'Fixed', releaseAfter },
    },
  });

  await k8s(sim, 'POST', '/api/v1/namespaces', { metadata: { name: 'shop', labels: { app: 'db' } } });
  await k8s(sim, 'POST', '/apis/cello.volcengine.com/v1alpha1/podnetworks', network('1h'));
  const far = { podNetwork: 'db', ip: '10.9.0.5', subnetId: 'subnet-a', nodeName: 'node2', eniId: 'eni-far' };
  await k8s(sim, 'POST', PA, { metadata: { name: 'db-0', namespace: 'shop' }, spec: far });
  await pod('db-0');

  const first = await pass();
  t.match(first.claimed, [{ pod: 'shop/db-0', ip: '10.9.0.5', from: 'node2/eni-far', state: 'incoming' }], 'claimed from the PodAddress, before the decision');
  t.match(first.decided, [{ podName: 'db-0', network: 'db' }]);
  t.match(fixed()['db-0'], { state: 'incoming', fromEni: 'eni-far', subnetId: 'subnet-a' });
  t.match(
    (await k8s(sim, 'GET', `${PA}/db-0`)).spec,
    { nodeName: NODE, eniId: 'eni-far' },
    'taken over: the PodAddress names this node (node2 can no longer release it), and still the ENI the address is on',
  );
  t.match((await pass()).fixedAddresses, { dropped: [] }, 'still on its way: kept');

  await k8s(sim, 'DELETE', `${PA}/db-0`);
  t.match((await pass()).fixedAddresses, { dropped: ['shop/db-0=10.9.0.5'] }, 'the PodAddress deleted: the claim is given up');
  t.equal(fixed()['db-0'], undefined);

  // A PodAddress edited into nonsense (the sim's API, unlike a real one, does not hold it to the CRD's schema).
  await k8s(sim, 'POST', PA, { metadata: { name: 'db-9', namespace: 'shop' }, spec: { ...far, ip: 'not-an-ip' } });
  await pod('db-9');
  const odd = await pass();
  t.match(odd.decided, [{ podName: 'db-9', network: 'db' }], 'an invalid PodAddress does not hold the pod back');
  t.same(odd.claimed, [], 'nor is anything claimed from it: the pod takes a new address');

  // An address taken here by a pod's first sandbox is published.
  await pod('db-1');
  await pass();
  const taken = withNodeStore((s) => {
    s.import({
      enis: [
        {
          id: 'eni-here',
          mac: '02:00:00:00:aa:01',
          mode: 'shared',
          subnetId: 'subnet-a',
          subnetCidr: '10.9.0.0/16',
          gateway: '10.9.0.1',
          primaryIp: '10.9.0.10',
          ips: ['10.9.0.11'],
          podNetwork: 'db',
        },
      ],
    });
    return s.allocate({
      network: 'cello',
      containerId: 'c1',
      ifname: 'eth0',
      podNamespace: 'shop',
      podName: 'db-1',
      netns: '/var/run/netns/x',
      podNetwork: 'db',
    });
  });
  t.equal(taken.ipv4, '10.9.0.11', 'a secondary address, not the primary');
  t.match((await pass()).fixedAddresses, { published: ['shop/db-1=10.9.0.11'] });
  t.match((await k8s(sim, 'GET', `${PA}/db-1`)).spec, { podNetwork: 'db', ip: '10.9.0.11', subnetId: 'subnet-a', nodeName: NODE, eniId: 'eni-here' });
  t.equal(fixed()['db-1']?.state, 'published');

  // The pod leaves. Without releaseAfter, the address is never released.
  withNodeStore((s) => s.release(taken));
  await k8s(sim, 'DELETE', '/api/v1/namespaces/shop/pods/db-1');
  const setNetwork = async (allocation: Record<string, string>) => {
    const net = await k8s(sim, 'GET', '/apis/cello.volcengine.com/v1alpha1/podnetworks/db');
    await k8s(sim, 'PUT', '/apis/cello.volcengine.com/v1alpha1/podnetworks/db', { ...net, spec: { ...net.spec, allocation } });
  };
  await setNetwork({ type: 'Fixed' });
  await new Promise((r) => setTimeout(r, 1100));
  t.match((await pass()).fixedAddresses, { released: [] }, 'releaseAfter omitted: kept for good');
  t.equal(fixed()['db-1']?.state, 'published');

  // Another node takes the address (rewrites the PodAddress) before this one releases it.
  const current = await k8s(sim, 'GET', `${PA}/db-1`);
  await k8s(sim, 'PUT', `${PA}/db-1`, { ...current, spec: { ...current.spec, nodeName: 'node2', eniId: 'eni-far' } });
  await setNetwork({ type: 'Fixed', releaseAfter: '1s' });
  await new Promise((r) => setTimeout(r, 1100));
  t.match((await pass()).fixedAddresses, { gone: ['shop/db-1=10.9.0.11'], released: [] }, 'named elsewhere: gone here, not released');
  t.equal((await sim.control.k8s('GET', `${PA}/db-1`)).status, 200, 'the other node’s PodAddress is left alone');
  t.throws(
    () =>
      withNodeStore((s) =>
        s.allocate({ network: 'cello', containerId: 'c2', ifname: 'eth0', podNamespace: 'shop', podName: 'db-2', netns: '/var/run/netns/y', podNetwork: 'db' }),
      ),
    /no free IPv4 of podnetwork db/,
    'a gone address is nobody’s here until the cloud takes it',
  );

  // That node gives it back (the PodAddress names this node again): published here again.
  await k8s(sim, 'PUT', `${PA}/db-1`, { ...(await k8s(sim, 'GET', `${PA}/db-1`)), spec: current.spec });
  t.match((await pass()).fixedAddresses, { published: ['shop/db-1=10.9.0.11'], released: [] }, 'named here again: published again');

  // Released: the row (and the PodAddress, when it still names this node) go after releaseAfter.
  await new Promise((r) => setTimeout(r, 1100)); // idle counts from the row's last change
  t.match((await pass()).fixedAddresses, { released: ['shop/db-1=10.9.0.11'] });
  t.equal((await sim.control.k8s('GET', `${PA}/db-1`)).status, 404, 'its PodAddress deleted');
  t.same(fixed(), {}, 'nothing kept');
});
