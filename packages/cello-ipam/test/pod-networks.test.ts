// Pod networks in the store (docs/podnetworks.md): the PodNetworks and decisions cello-agent records,
// ENIs of a network, and allocation that never crosses from one network to another.
import t from 'tap';
import { ConflictError, NoFreeIpError } from '@cello/cello-ipam';
import { type PodNetworkRecord, UsageError } from '@cello/records';
import { eni, freshStore, req } from './helpers.ts';

const network = (name: string, mode: 'shared' | 'exclusive', n: number): PodNetworkRecord => ({
  name,
  spec: {
    namespaceSelector: { matchLabels: { team: name } },
    subnets: { ids: [`subnet-${n}`] },
    securityGroupIds: [`sg-${name}`],
    mode,
    allocation: { type: 'Elastic' },
  },
});
const blue = network('blue', 'shared', 2);
const solo = network('solo', 'exclusive', 4);

t.test('the PodNetworks list: replaced whole, names checked, "in use" while non-empty', async (t) => {
  const store = freshStore(t);
  t.equal(store.podNetworksInUse(), false, 'a new store knows none: pods go to the default network without waiting');
  store.replacePodNetworks([blue, solo]);
  t.same(
    store.podNetworks().map((n) => n.name),
    ['blue', 'solo'],
  );
  t.same(store.podNetworks()[0], blue, 'the spec comes back as written');
  t.equal(store.podNetworksInUse(), true);
  const err = t.throws(() => store.replacePodNetworks([{ ...blue, name: 'Not_A_Name' }])) as Error;
  t.ok(err instanceof UsageError, 'a bad name is bad input');
  t.match(err.message, /podNetworks\[0\]\.name: "Not_A_Name" is not a Kubernetes object name/);
  t.same(
    store.podNetworks().map((n) => n.name),
    ['blue', 'solo'],
    'a refused list changes nothing',
  );
  store.replacePodNetworks([]);
  t.equal(store.podNetworksInUse(), false);
});

t.test('decisions: one per pod name, replaced for a new UID, forgotten on request', async (t) => {
  const store = freshStore(t);
  t.equal(store.podNetworkDecision('shop', 'web-0'), undefined);
  store.decidePodNetwork({ podNamespace: 'shop', podName: 'web-0', podUid: 'u1', network: 'blue', reason: 'matched podnetwork blue by namespaceSelector' });
  store.decidePodNetwork({ podNamespace: 'shop', podName: 'web-1', podUid: 'u2', network: '', reason: 'no podnetwork matched' });
  t.match(store.podNetworkDecision('shop', 'web-0'), { podUid: 'u1', network: 'blue', reason: /namespaceSelector/, decidedAt: Number });
  store.decidePodNetwork({ podNamespace: 'shop', podName: 'web-0', podUid: 'u3', network: '', reason: 'no podnetwork matched' });
  t.match(store.podNetworkDecision('shop', 'web-0'), { podUid: 'u3', network: '' }, 'the pod recreated under its name is decided again');
  t.same(
    store.podNetworkDecisions().map((d) => d.podName),
    ['web-0', 'web-1'],
  );
  store.forgetPodNetworkDecision('shop', 'web-0');
  t.equal(store.podNetworkDecision('shop', 'web-0'), undefined);
  t.throws(() => store.decidePodNetwork({ podNamespace: 'shop', podName: 'x', podUid: 'u', network: 'Bad Name', reason: '' }), /decision\.network/);
});

t.test("allocation takes only the pod's network's ENIs, and says which network ran dry", async (t) => {
  const store = freshStore(t);
  store.replacePodNetworks([blue]);
  store.import({ enis: [eni(1, 3), { ...eni(2, 2), podNetwork: 'blue' }] });
  t.match(store.enis()[1], { id: 'eni-2', podNetwork: 'blue' }, 'the ENI record carries its network');
  t.notOk(store.enis()[0]!.podNetwork, 'a default-network ENI has none');

  const a = store.allocate({ ...req('b1', 'web-0'), podNetwork: 'blue' });
  t.match(a, { eni: { id: 'eni-2' }, podNetwork: 'blue' }, "a blue pod gets a blue ENI's address");
  t.match(store.allocate({ ...req('b2', 'web-1'), podNetwork: 'blue' }), { eni: { id: 'eni-2' } });
  const d = store.allocate(req('d1', 'api-0'));
  t.equal(d.eni?.id, 'eni-1', "a default pod never gets a pod network's ENI");
  t.notOk(d.podNetwork);

  const err = t.throws(() => store.allocate({ ...req('b3', 'web-2'), podNetwork: 'blue' }, { recordDemand: true })) as NoFreeIpError;
  t.ok(err instanceof NoFreeIpError, 'blue is exhausted although the default network has free IPs');
  t.match(err.message, /no free IPv4 of podnetwork blue on 1 shared ENI\(s\): 2 in use/);
  t.match(store.demands(), [{ containerId: 'b3', podNetwork: 'blue', mode: 'shared' }], "the demand names the network, for the keeper's pool of it");

  const stats = store.stats();
  t.equal(stats.totals.available, 2, "the totals are the default network's pool only");
  t.equal(stats.totals.allocations, 1);
  t.equal(stats.demand.count, 0, 'no default-network demand');
  t.same(stats.podNetworks, { blue: { enis: 1, available: 0, demand: 1 } });
  t.match(
    stats.enis.find((e) => e.id === 'eni-2'),
    { podNetwork: 'blue' },
  );
});

t.test("a network's mode is its own: an exclusive network takes whole ENIs on a shared node", async (t) => {
  const store = freshStore(t);
  store.replacePodNetworks([solo]);
  store.import({ enis: [eni(1, 3), { ...eni(4, 1, { mode: 'exclusive' }), podNetwork: 'solo' }] });
  t.match(store.allocate({ ...req('s1', 'db-0'), podNetwork: 'solo' }), { mode: 'exclusive', ipv4: '10.4.0.10', eni: { id: 'eni-4' } });
  t.throws(() => store.allocate({ ...req('s2', 'db-1'), podNetwork: 'solo' }), NoFreeIpError, 'one pod per ENI');
  t.match(store.allocate(req('d1', 'api-0')), { mode: 'shared', eni: { id: 'eni-1' } });
});

t.test('a network the node does not know is refused, naming it', async (t) => {
  const store = freshStore(t);
  store.import({ enis: [eni(1, 3)] });
  const err = t.throws(() => store.allocate({ ...req('x1', 'web-0'), podNetwork: 'gone' })) as Error;
  t.ok(err instanceof ConflictError);
  t.match(err.message, /podnetwork gone is not known on this node/);
  t.throws(() => store.allocate({ ...req('x2', 'web-1'), podNetwork: 'Bad_Name' }), /request\.podNetwork/);
});

t.test("an ENI's network is part of its identity; the default pool's surplus never touches another network", async (t) => {
  const store = freshStore(t);
  store.replacePodNetworks([blue]);
  store.import({ enis: [eni(1, 3), { ...eni(2, 3), podNetwork: 'blue' }] });
  t.throws(() => store.import({ enis: [eni(2, 3)] }), /enis\[0\]\.podNetwork: ENI eni-2 is known with podNetwork blue, the document says ''/);
  t.throws(() => store.import({ enis: [{ ...eni(2, 3), podNetwork: 'Nope!' }] }), /enis\[0\]\.podNetwork: "Nope!" is not a Kubernetes object name/);

  const doc = store.surplus({ keep: 0, dryRun: true });
  t.same(
    doc.enis.map((e) => e.id),
    ['eni-1'],
    "the default pool gives back only the default network's ENIs",
  );
  t.same(
    store.surplus({ keep: 1, podNetwork: 'blue', dryRun: true }).enis.map((e) => [e.id, e.ips.length]),
    [['eni-2', 2]],
    "a pod network's pool is trimmed on its own",
  );
});
