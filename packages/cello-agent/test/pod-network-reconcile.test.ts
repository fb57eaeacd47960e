// One pass of the pod-networks role (src/pod-networks/reconcile.ts) against
// a real cello-ipam store in a temporary directory: the rules of
// docs/podnetworks.md, "Where the decision lives", pass by pass — a pod is
// decided once per UID and keeps its network while it exists, a recreated
// pod is decided again, a pod gone is forgotten, an invalid PodNetwork is
// skipped without letting its pods go to the default network, a namespace
// that could not be read holds its pods back, and a pass without the
// PodNetworks only forgets.
import t, { type Test } from 'tap';
import { openStore } from '@cello/cello-ipam';
import { tempDir } from '@cello/testkit';
import type { PodFacts } from '../src/pod-networks/choose.ts';
import { type ClusterView, reconcile, undecidedPods } from '../src/pod-networks/reconcile.ts';

const podNetwork = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'cello.volcengine.com/v1alpha1',
  kind: 'PodNetwork',
  metadata: { name },
  spec: { subnets: { ids: ['subnet-a'] }, securityGroupIds: ['sg-1'], ...spec },
});
const blue = podNetwork('blue', { namespaceSelector: { matchLabels: { team: 'blue' } } });
const green = podNetwork('green', { podSelector: { matchLabels: { app: 'web' } }, mode: 'exclusive' });
const pod = (namespace: string, name: string, uid: string, labels: Record<string, string> = {}): PodFacts => ({ namespace, name, uid, labels });

function fixture(t: Test) {
  const dir = tempDir('cello-pn-');
  const store = openStore({ stateDir: dir.path });
  t.teardown(() => {
    store.close();
    dir.remove();
  });
  const decisions = () => Object.fromEntries(store.podNetworkDecisions().map((d) => [`${d.podNamespace}/${d.podName}`, { uid: d.podUid, network: d.network }]));
  return { store, decisions };
}

const view = (podNetworks: unknown[], namespaces: Record<string, Record<string, string>>, pods: PodFacts[]): ClusterView => ({
  podNetworks,
  namespaces: new Map(Object.entries(namespaces)),
  pods,
});

t.test('decisions follow the selectors; the networks are recorded first, and only when they change', async (t) => {
  const { store, decisions } = fixture(t);
  const nss = { blue: { team: 'blue' }, plain: {} };
  const pods = [pod('blue', 'a', 'u-a'), pod('plain', 'web', 'u-web', { app: 'web' }), pod('plain', 'b', 'u-b'), pod('blue', 'web2', 'u-w2', { app: 'web' })];
  const r = reconcile(store, view([green, blue], nss, pods));
  t.same(r.networks, ['blue', 'green'], 'both valid, by name');
  t.ok(r.networksChanged, 'the list was written');
  t.same(
    store.podNetworks().map((n) => n.name),
    ['blue', 'green'],
  );
  t.match(store.podNetworks()[1], { name: 'green', spec: { mode: 'exclusive', allocation: { type: 'Elastic' } } }, 'stored parsed, defaults applied');
  t.same(decisions(), {
    'blue/a': { uid: 'u-a', network: 'blue' },
    'plain/web': { uid: 'u-web', network: 'green' },
    'plain/b': { uid: 'u-b', network: '' },
    'blue/web2': { uid: 'u-w2', network: 'blue' },
  });
  t.same(
    Object.fromEntries(store.podNetworkDecisions().map((d) => [d.podName, d.reason])),
    {
      a: 'matched podnetwork blue by namespaceSelector',
      web: 'matched podnetwork green by podSelector',
      b: 'no podnetwork matched',
      web2: 'blue and green both matched; blue is first by name',
    },
    'each with its reason',
  );
  t.equal(r.decided.length, 4);

  const again = reconcile(store, view([blue, green], nss, pods));
  t.notOk(again.networksChanged, 'the same networks (in another order) are not written again');
  t.equal(again.kept, 4, 'every pod kept its decision');
  t.same(again.decided, []);
});

t.test('a decided pod keeps its network whatever happens to the PodNetworks; a recreated pod is decided again', async (t) => {
  const { store, decisions } = fixture(t);
  const nss = { shop: { team: 'blue' } };
  reconcile(store, view([blue], nss, [pod('shop', 'web-0', 'u-1')]));
  t.same(decisions(), { 'shop/web-0': { uid: 'u-1', network: 'blue' } });

  const r = reconcile(store, view([green, podNetwork('aaa', { podSelector: {} })], { shop: { team: 'red' } }, [pod('shop', 'web-0', 'u-1')]));
  t.ok(r.networksChanged, 'blue deleted, aaa and green created');
  t.same(decisions(), { 'shop/web-0': { uid: 'u-1', network: 'blue' } }, 'the running pod stays on blue (deleted), though aaa matches it now');

  const recreated = reconcile(store, view([green, podNetwork('aaa', { podSelector: {} })], nss, [pod('shop', 'web-0', 'u-2')]));
  t.same(decisions(), { 'shop/web-0': { uid: 'u-2', network: 'aaa' } }, 'the same name with a new UID is decided again, by what matches now');
  t.same(recreated.forgotten, [{ podNamespace: 'shop', podName: 'web-0', podUid: 'u-1', network: 'blue', why: 'the pod was recreated (uid u-2)' }]);
});

t.test('a pod gone from the node is forgotten', async (t) => {
  const { store, decisions } = fixture(t);
  reconcile(store, view([blue], { shop: {} }, [pod('shop', 'a', 'u-a'), pod('shop', 'b', 'u-b')]));
  const r = reconcile(store, view([blue], { shop: {} }, [pod('shop', 'b', 'u-b')]));
  t.same(decisions(), { 'shop/b': { uid: 'u-b', network: '' } });
  t.same(r.forgotten, [{ podNamespace: 'shop', podName: 'a', podUid: 'u-a', network: '', why: 'the pod left the node' }]);
});

t.test('an invalid PodNetwork is skipped, and the pods it would take wait instead of going to the default network', async (t) => {
  const { store, decisions } = fixture(t);
  const badBlue = podNetwork('blue', { namespaceSelector: { matchLabels: { team: 'blue' } }, securityGroupIds: ['1', '2', '3', '4', '5', '6'] });
  const unreadable = podNetwork('grey', {});
  const nss = { blue: { team: 'blue' }, plain: {} };
  const pods = [pod('blue', 'a', 'u-a'), pod('plain', 'b', 'u-b', { app: 'web' }), pod('plain', 'c', 'u-c')];
  const r = reconcile(store, view([badBlue, green, unreadable], nss, pods));
  t.same(r.networks, ['green'], 'only the valid one is recorded');
  t.same(
    store.podNetworks().map((n) => n.name),
    ['green'],
  );
  t.same(r.invalid, [
    { name: 'blue', error: 'spec.securityGroupIds: at most 5' },
    { name: 'grey', error: 'spec: needs podSelector or namespaceSelector (or both; {} matches every pod)' },
  ]);
  t.same(decisions(), { 'plain/b': { uid: 'u-b', network: 'green' }, 'plain/c': { uid: 'u-c', network: '' } });
  t.same(
    r.held.map((h) => h.podName),
    ['a'],
    'the pod the invalid network matches is not decided',
  );
  t.match(r.held[0]!.reason, /^podnetwork blue matches by namespaceSelector but is invalid \(spec.securityGroupIds: at most 5\)/);
  t.match(store.podNetworkDecision('plain', 'c')!.reason, /no podnetwork matched \(grey is invalid with selectors that cannot be read/);

  reconcile(store, view([podNetwork('blue', { namespaceSelector: { matchLabels: { team: 'blue' } } }), green], nss, pods));
  t.same(decisions()['blue/a'], { uid: 'u-a', network: 'blue' }, 'fixed, it takes the pod that waited');
});

t.test('a pod whose namespace could not be read waits for it', async (t) => {
  const { store, decisions } = fixture(t);
  const r = reconcile(store, view([blue], {}, [pod('new', 'a', 'u-a')]));
  t.same(r.held, [{ podNamespace: 'new', podName: 'a', podUid: 'u-a', reason: 'namespace new could not be read' }]);
  t.same(decisions(), {});
  reconcile(store, view([blue], { new: { team: 'blue' } }, [pod('new', 'a', 'u-a')]));
  t.same(decisions(), { 'new/a': { uid: 'u-a', network: 'blue' } });
});

t.test('a recreated pod that must wait loses the old pod’s decision meanwhile', async (t) => {
  const { store, decisions } = fixture(t);
  reconcile(store, view([blue], { shop: {} }, [pod('shop', 'a', 'u-1')]));
  t.same(decisions(), { 'shop/a': { uid: 'u-1', network: '' } });
  const r = reconcile(store, view([blue], {}, [pod('shop', 'a', 'u-2')]));
  t.same(decisions(), {}, 'no decision of the old UID is left for the new pod to find');
  t.equal(r.held.length, 1);
});

t.test('a pass without the PodNetworks forgets, keeps the list, and decides nothing', async (t) => {
  const { store, decisions } = fixture(t);
  reconcile(store, view([blue], { shop: { team: 'blue' } }, [pod('shop', 'a', 'u-a'), pod('shop', 'b', 'u-b')]));
  const r = reconcile(store, { podNetworks: null, namespaces: new Map(), pods: [pod('shop', 'b', 'u-b'), pod('shop', 'c', 'u-c')] });
  t.same(decisions(), { 'shop/b': { uid: 'u-b', network: 'blue' } }, 'a forgotten, b kept, c not decided');
  t.equal(r.networks, null);
  t.equal(r.invalid, null);
  t.notOk(r.networksChanged);
  t.same(
    store.podNetworks().map((n) => n.name),
    ['blue'],
    'the list is left as it was',
  );
  t.same(r.held, [{ podNamespace: 'shop', podName: 'c', podUid: 'u-c', reason: 'the PodNetworks were not read for this pass' }]);
});

t.test('undecidedPods: the pods without a decision of their UID', async (t) => {
  const { store } = fixture(t);
  reconcile(store, view([], { shop: {} }, [pod('shop', 'a', 'u-a')]));
  t.same(
    undecidedPods(store, [pod('shop', 'a', 'u-a'), pod('shop', 'a2', 'u-a2'), pod('shop', 'b', 'u-b')]).map((p) => p.name),
    ['a2', 'b'],
  );
  t.same(
    undecidedPods(store, [pod('shop', 'a', 'u-new')]).map((p) => p.uid),
    ['u-new'],
    'a recreated pod is undecided',
  );
});

t.test('a pod already running with an address is decided for the network its address came from', async (t) => {
  const { store, decisions } = fixture(t);
  const eni = (n: number, podNetwork?: string) => ({
    id: `eni-${n}`,
    mac: `02:00:00:00:00:0${n}`,
    mode: 'shared' as const,
    subnetCidr: `10.${n}.0.0/24`,
    gateway: `10.${n}.0.1`,
    primaryIp: `10.${n}.0.10`,
    ips: [`10.${n}.0.10`, `10.${n}.0.11`],
    ...(podNetwork ? { podNetwork } : {}),
  });
  store.import({ enis: [eni(1)] });
  const created = Date.now() - 60_000;
  // Added before the agent decided anything (an upgrade): on the default network, though blue matches it now.
  store.allocate({ network: 'cello', containerId: 'c1', ifname: 'eth0', podNamespace: 'blue', podName: 'early' });
  // A predecessor's allocation (older than the pod) says nothing about the pod.
  const oldOne = { ...pod('blue', 'later', 'u-later'), createdAt: Date.now() + 60_000 };
  store.allocate({ network: 'cello', containerId: 'c2', ifname: 'eth0', podNamespace: 'blue', podName: 'later' });
  const r = reconcile(store, view([blue], { blue: { team: 'blue' } }, [{ ...pod('blue', 'early', 'u-early'), createdAt: created }, oldOne]));
  t.same(decisions(), { 'blue/early': { uid: 'u-early', network: '' }, 'blue/later': { uid: 'u-later', network: 'blue' } });
  t.match(
    r.decided.find((d) => d.podName === 'early'),
    { reason: 'already running with an address of the default network' },
  );
});
