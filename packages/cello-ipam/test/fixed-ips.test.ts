// Fixed addresses in the store (docs/podnetworks.md, "Fixed addresses"): a pod of a Fixed network
// keeps its address across sandboxes, nobody else is given it, the keeper never gives it back, and
// a pod whose address is still on another node's ENI waits for it instead of taking another.
import t from 'tap';
import { NoFreeIpError } from '@cello/cello-ipam';
import type { PodNetworkRecord } from '@cello/records';
import { eni, freshStore, req } from './helpers.ts';

const network = (name: string, allocation: PodNetworkRecord['spec']['allocation']): PodNetworkRecord => ({
  name,
  spec: { namespaceSelector: {}, subnets: { ids: ['subnet-2'] }, securityGroupIds: ['sg-1'], mode: 'shared', allocation },
});
const db = network('db', { type: 'Fixed', releaseAfterSec: 60 });
const web = network('web', { type: 'Elastic' });

function setup(t: { teardown(fn: () => void): void }) {
  const store = freshStore(t);
  store.setSettings({ ipCooldownSec: 0 });
  store.replacePodNetworks([db, web]);
  store.import({
    enis: [
      { ...eni(2, 4), podNetwork: 'db' },
      { ...eni(3, 3), podNetwork: 'web' },
    ],
  });
  return store;
}
const fixedPod = (id: string, pod: string) => ({ ...req(id, pod), podNetwork: 'db' });

t.test('a pod of a Fixed network keeps its address; nobody else gets it', async (t) => {
  const store = setup(t);
  const first = store.allocate(fixedPod('c1', 'db-0'));
  t.match(store.fixedIps(), [{ podNamespace: 'default', podName: 'db-0', podNetwork: 'db', ip: first.ipv4, state: 'here', eniId: 'eni-2', inUse: true }]);
  t.not(first.ipv4, '10.2.0.10', 'never the ENI’s primary address: that one cannot move to another ENI');
  store.release(first);
  t.match(store.fixedIps(), [{ ip: first.ipv4, inUse: false, freedAt: Number }], 'released, the address stays the pod’s');

  const others = [store.allocate(fixedPod('c2', 'db-1')), store.allocate(fixedPod('c3', 'db-2'))];
  t.notOk(
    others.some((a) => a.ipv4 === first.ipv4),
    'other pods of the network get other addresses, though it is free and first in line',
  );
  t.throws(() => store.allocate(fixedPod('c4', 'db-3')), NoFreeIpError, 'with the rest taken, nothing is free for a fourth pod');
  t.equal(store.stats().podNetworks.db?.available, 0, 'the kept address (and the primary) are not counted free');
  t.same(store.surplus({ keep: 0, podNetwork: 'db', dryRun: true }).enis, [], 'nor given back');

  const again = store.allocate(fixedPod('c5', 'db-0'));
  t.equal(again.ipv4, first.ipv4, 'the pod’s next sandbox gets the same address');
  t.equal(store.fixedIps().length, 3, 'one row per pod');
});

t.test('an Elastic network and the default network keep nothing', async (t) => {
  const store = setup(t);
  store.import({ enis: [eni(1, 2)] });
  store.allocate({ ...req('c1', 'web-0'), podNetwork: 'web' });
  store.allocate(req('c2', 'api-0'));
  t.same(store.fixedIps(), []);
});

t.test('an address still on another ENI: the ADD waits for it, then gets it', async (t) => {
  const store = setup(t);
  const claim = { podNamespace: 'default', podName: 'db-0', podNetwork: 'db', ip: '10.2.0.50', fromEni: 'eni-other', subnetId: 'subnet-2' };
  t.equal(store.claimFixedIp(claim), 'incoming');
  const err = t.throws(() => store.allocate(fixedPod('c1', 'db-0'), { recordDemand: true })) as NoFreeIpError;
  t.equal(err.reason, 'moving');
  t.match(err.message, /fixed address 10\.2\.0\.50 of pod default\/db-0 is still being moved to this node/);
  t.equal(store.demands().length, 1, 'a demand wakes the keeper');
  t.equal(store.stats().podNetworks.db?.available, 3, 'the free addresses are still there, for other pods');

  // The keeper: assigned to eni-2, imported, marked here.
  store.import({ enis: [{ ...eni(2, 4), podNetwork: 'db', ips: ['10.2.0.50'] }] });
  t.equal(store.advanceFixedIp('default', 'db-0', '10.2.0.50', 'incoming', 'here'), true);
  t.equal(store.advanceFixedIp('default', 'db-0', '10.2.0.50', 'incoming', 'here'), false, 'only from the state it is in');
  t.equal(store.allocate(fixedPod('c1', 'db-0')).ipv4, '10.2.0.50');
  t.equal(store.demands().length, 0);
});

t.test('a claim for an address this store has on the ENI the PodAddress names is here already', async (t) => {
  const store = setup(t);
  t.equal(store.claimFixedIp({ podNamespace: 'default', podName: 'db-0', podNetwork: 'db', ip: '10.2.0.11', fromEni: 'eni-2', subnetId: 'subnet-2' }), 'here');
  t.equal(store.allocate(fixedPod('c1', 'db-0')).ipv4, '10.2.0.11');
  t.equal(
    store.claimFixedIp({ podNamespace: 'default', podName: 'db-0', podNetwork: 'db', ip: '10.2.0.11', fromEni: 'eni-2', subnetId: 'subnet-2' }),
    'here',
    'claimed again: nothing changes',
  );
});

t.test('a stale copy (the PodAddress names another ENI) is nobody’s until the keeper moves it', async (t) => {
  const store = setup(t);
  t.equal(
    store.claimFixedIp({ podNamespace: 'default', podName: 'db-0', podNetwork: 'db', ip: '10.2.0.11', fromEni: 'eni-9', subnetId: 'subnet-2' }),
    'incoming',
  );
  const got = [store.allocate(fixedPod('c1', 'db-1')), store.allocate(fixedPod('c2', 'db-2'))].map((a) => a.ipv4);
  t.notOk(got.includes('10.2.0.11'), 'the address is on this store’s ENI, but another node holds it in the cloud');
  t.equal((t.throws(() => store.allocate(fixedPod('c3', 'db-0'))) as NoFreeIpError).reason, 'moving');
  t.equal(store.dropFixedIp('default', 'db-0', '10.2.0.11'), true);
  t.equal(store.allocate(fixedPod('c4', 'db-3')).ipv4, '10.2.0.11', 'dropped, it is an ordinary address again');
});

t.test('a published address the PodAddress now places elsewhere is stale: incoming again', async (t) => {
  const store = setup(t);
  const a = store.allocate(fixedPod('c1', 'db-0'));
  store.release(a);
  t.equal(store.advanceFixedIp('default', 'db-0', a.ipv4!, 'here', 'published'), true);
  const claim = { podNamespace: 'default', podName: 'db-0', podNetwork: 'db', ip: a.ipv4!, subnetId: 'subnet-2' };
  t.equal(store.claimFixedIp({ ...claim, fromEni: 'eni-2' }), 'published', 'still named where it is: nothing to do');
  t.equal(store.claimFixedIp({ ...claim, fromEni: 'eni-on-node2' }), 'incoming', 'another node took it since');
  const err = t.throws(() => store.allocate(fixedPod('c2', 'db-0'))) as NoFreeIpError;
  t.equal(err.reason, 'moving', 'the stale copy here is not handed out');
});
