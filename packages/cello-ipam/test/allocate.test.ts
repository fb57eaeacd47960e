// ALLOC and RELEASE through the library on a real database file: the rules
// the CNI relies on, each in its own test.
import t from 'tap';
import { NoFreeIpError } from '@cello/cello-ipam';
import { byState, eni, freshStore, manualClock, req } from './helpers.ts';

t.test('a repeated ALLOC returns the same allocation and takes nothing more', async (t) => {
  const store = freshStore(t);
  store.import({ enis: [eni(1, 4)] });
  const first = store.allocate(req('c1', 'web-0'));
  const again = store.allocate(req('c1', 'web-0'));
  t.same(again, first, 'same record');
  t.same(store.allocation(req('c1')), first, 'allocation() reads it without allocating');
  t.equal(store.allocation(req('c2')), undefined);
  t.equal(byState(store).used, 1, 'one IP used');
  t.equal(store.allocations().length, 1);
  const otherIf = store.allocate(req('c1', 'web-0', 'eth1'));
  t.not(otherIf.ipv4, first.ipv4, 'another ifname of the same container is another allocation');
});

t.test('RELEASE of an unknown triple succeeds and changes nothing', async (t) => {
  const store = freshStore(t);
  store.import({ enis: [eni(1, 3)] });
  const a = store.allocate(req('c1'));
  const before = store.ips();
  t.same(store.release(req('nobody')), { released: false });
  t.same(store.release({ ...req('c1'), ifname: 'eth9' }), { released: false }, 'same container, other ifname');
  t.same(store.release({ ...req('c1'), network: 'other' }), { released: false }, 'same container, other network');
  t.same(store.ips(), before, 'no IP changed');
  t.equal(store.show('c1').allocations[0]?.ipv4, a.ipv4);
});

t.test('a late RELEASE from an old sandbox does not free the new sandbox’s IP', async (t) => {
  const clock = manualClock();
  const store = freshStore(t, { now: clock.now });
  store.import({ enis: [eni(1, 4)] });
  const old = store.allocate(req('sandbox-a', 'web-0'));
  t.ok(store.release(req('sandbox-a')).released, 'the old sandbox is deleted');
  const recreated = store.allocate(req('sandbox-b', 'web-0'));
  t.equal(recreated.ipv4, old.ipv4, 'the recreated pod has the same IP (the case a pod-keyed release would get wrong)');

  // The runtime retries the old sandbox's DEL late.
  t.same(store.release(req('sandbox-a')), { released: false }, 'the stale DEL is a no-op success');
  const ip = store.show(old.ipv4!).ip!;
  t.equal(ip.state, 'used', 'the IP is still used');
  t.equal(ip.owner?.containerId, 'sandbox-b', 'by the new sandbox');
  t.same(store.check(), []);
});

t.test('released IPs cool down; then the least recently freed goes first, never-used before all', async (t) => {
  const clock = manualClock();
  const store = freshStore(t, { now: clock.now });
  store.setSettings({ ipCooldownSec: 30 });
  store.import({ enis: [eni(1, 4)] }); // 10.1.0.10 .11 .12 .13
  const [a, b, c] = ['c1', 'c2', 'c3'].map((id) => store.allocate(req(id)).ipv4);
  t.same([a, b, c], ['10.1.0.10', '10.1.0.11', '10.1.0.12'], 'never-used IPs in import order');

  store.release(req('c2'));
  clock.advance(1);
  store.release(req('c1'));
  t.equal(store.show(b!).ip?.state, 'cooling', 'a released IP is cooling');
  t.equal(store.allocate(req('c4')).ipv4, '10.1.0.13', 'the never-used IP goes before cooled ones');

  t.throws(() => store.allocate(req('c5')), NoFreeIpError, 'cooling IPs are not handed out');
  clock.advance(30);
  t.equal(store.allocate(req('c5')).ipv4, b, 'after the cooldown, the least recently freed first');
  t.equal(store.allocate(req('c6')).ipv4, a, 'then the next');
});

t.test('the cooldown is a node setting; 0 reuses at once', async (t) => {
  const store = freshStore(t);
  store.setSettings({ ipCooldownSec: 0 });
  store.import({ enis: [eni(1, 1)] });
  const a = store.allocate(req('c1'));
  store.release(req('c1'));
  t.equal(store.allocate(req('c2')).ipv4, a.ipv4);
});

t.test('StatefulSet: a pod recreated with the same name gets its previous IP back', async (t) => {
  const clock = manualClock();
  const store = freshStore(t, { now: clock.now });
  store.import({ enis: [eni(1, 6)] });
  store.allocate(req('x1')); // keep the ordering from trivially picking the same IP
  const web0 = store.allocate(req('w0-a', 'web-0'));
  const web1 = store.allocate(req('w1-a', 'web-1'));
  store.release(req('w0-a'));
  store.release(req('w1-a'));

  t.equal(store.allocate(req('w1-b', 'web-1')).ipv4, web1.ipv4, 'while still cooling, web-1 gets its IP back');
  clock.advance(60);
  t.equal(store.allocate(req('other', 'db-0')).ipv4 === web0.ipv4, false, 'another pod does not get web-0’s IP while a never-used one is free');
  t.equal(store.allocate(req('w0-b', 'web-0')).ipv4, web0.ipv4, 'web-0 gets its IP back after the cooldown too');
});

t.test('StatefulSet reuse gives way when the previous IP was taken by someone else', async (t) => {
  const clock = manualClock();
  const store = freshStore(t, { now: clock.now });
  store.import({ enis: [eni(1, 2)] });
  const first = store.allocate(req('a', 'web-0'));
  store.release(req('a'));
  clock.advance(31);
  store.allocate(req('b')); // the never-used IP
  const stolen = store.allocate(req('c', 'db-0'));
  t.equal(stolen.ipv4, first.ipv4, 'db-0 got web-0’s old IP after the cooldown');
  store.release(req('b'));
  clock.advance(31);
  t.not(store.allocate(req('d', 'web-0')).ipv4, first.ipv4, 'web-0 gets another one');
});

t.test('dual-stack allocates a v4+v6 pair on the same ENI', async (t) => {
  const store = freshStore(t);
  store.setSettings({ ipFamily: 'dual' });
  // ENI 1 has v4s but no v6: only ENI 2 can serve pairs.
  store.import({ enis: [eni(1, 3), eni(2, 2, { v6: 2 })] });
  const a = store.allocate(req('c1', 'p1'));
  const b = store.allocate(req('c2', 'p2'));
  for (const x of [a, b]) {
    t.equal(x.eni?.id, 'eni-2', 'on the ENI that has both families');
    t.match(x.ipv4, /^10\.2\./);
    t.match(x.ipv6, /^fd00:2::/);
  }
  t.not(a.ipv6, b.ipv6);
  const err = t.throws(() => store.allocate(req('c3'))) as NoFreeIpError;
  t.equal(err.reason, 'exhausted');
  t.match(err.message, /IPv4\+IPv6/);
  store.release(req('c1'));
  const states = store
    .ips()
    .filter((i) => i.ip === a.ipv4 || i.ip === a.ipv6)
    .map((i) => i.state);
  t.same(states, ['cooling', 'cooling'], 'both halves cool down');
});

t.test('IPv6-only nodes allocate a v6', async (t) => {
  const store = freshStore(t);
  store.setSettings({ ipFamily: 'ipv6' });
  store.import({ enis: [eni(1, 1, { v6: 1 })] });
  const a = store.allocate(req('c1'));
  t.equal(a.ipv4, undefined);
  t.equal(a.ipv6, 'fd00:1::10');
});

t.test('exclusive mode hands out a whole ENI with its primary IP', async (t) => {
  const clock = manualClock();
  const store = freshStore(t, { now: clock.now });
  store.setSettings({ networkMode: 'exclusive' });
  store.import({ enis: [eni(1, 4), eni(2, 1, { mode: 'exclusive' }), eni(3, 1, { mode: 'exclusive' })] });
  const a = store.allocate(req('c1', 'p1'));
  t.equal(a.mode, 'exclusive');
  t.equal(a.eni?.id, 'eni-2');
  t.equal(a.ipv4, a.eni?.primaryIp, 'the allocation carries the ENI’s primary IP');
  const b = store.allocate(req('c2', 'p2'));
  t.equal(b.eni?.id, 'eni-3', 'one pod per ENI; shared ENIs are not used');
  const err = t.throws(() => store.allocate(req('c3'))) as NoFreeIpError;
  t.equal(err.reason, 'exhausted');
  store.release(req('c1'));
  t.equal((t.throws(() => store.allocate(req('c3'))) as NoFreeIpError).reason, 'cooling', 'the ENI cools down like an IP');
  clock.advance(31);
  t.equal(store.allocate(req('c3')).eni?.id, 'eni-2');
  t.same(store.check(), []);
});

t.test('no free IP: a typed error that says why, and the demand for the keeper', async (t) => {
  const clock = manualClock();
  const store = freshStore(t, { now: clock.now });

  const none = t.throws(() => store.allocate(req('c1', 'p1'), { recordDemand: true })) as NoFreeIpError;
  t.ok(none instanceof NoFreeIpError);
  t.equal(none.reason, 'no-eni');
  t.match(none.message, /no shared ENI is known/);
  t.ok(none.demandRecorded);
  t.same(
    store.demands().map((d) => [d.containerId, d.podName, d.ipFamily]),
    [['c1', 'p1', 'ipv4']],
  );
  t.throws(() => store.allocate(req('c1', 'p1'), { recordDemand: true }), NoFreeIpError, 'the ADD retries');
  t.equal(store.demands().length, 1, 'a retried ADD is one demand');
  t.equal(store.stats().demand.count, 1, 'stats reports it');

  store.import({ enis: [eni(1, 1)] });
  store.allocate(req('c1', 'p1'));
  t.equal(store.demands().length, 0, 'the allocation served the demand');

  store.release(req('c1'));
  const cooling = t.throws(() => store.allocate(req('c2'), { recordDemand: true })) as NoFreeIpError;
  t.equal(cooling.reason, 'cooling');
  t.equal(cooling.freeAt?.getTime(), clock.now() + 30_000, 'says when the first IP is free');
  t.equal(store.release(req('c2')).released, false, 'the runtime gives up with a DEL');
  t.equal(store.demands().length, 0, 'which clears its demand');

  store.addDemand(req('c3'));
  clock.advance(10);
  store.addDemand(req('c4'));
  t.equal(store.clearDemands({ before: new Date(clock.now() - 5000) }), 1, 'the keeper clears old demands');
  t.same(
    store.demands().map((d) => d.containerId),
    ['c4'],
  );
  t.equal(store.clearDemands(), 1);
});

t.test('bad requests name the field', async (t) => {
  const store = freshStore(t);
  t.throws(() => store.allocate({ network: 'cello', containerId: '', ifname: 'eth0' }), { name: 'UsageError', message: /containerId/ });
  t.throws(() => store.release({ network: 'cello', containerId: 'c', ifname: '' }), { message: /ifname/ });
  t.throws(() => store.setSettings({ ipFamily: 'ipv5' }), { message: /ipFamily must be one of ipv4\|ipv6\|dual/ });
  t.throws(() => store.setSettings({ ipCooldownSec: -1 }), { message: /ipCooldownSec/ });
});
