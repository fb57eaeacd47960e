// The pool keeper's side: import, surplus and forget, and their round trips.
import t from 'tap';
import { ConflictError } from '@cello/cello-ipam';
import { UsageError } from '@cello/cli-kit';
import { byState, eni, freshStore, manualClock, req } from './helpers.ts';

t.test('import is additive and idempotent; each ENI gets a stable route table', async (t) => {
  const store = freshStore(t);
  const first = store.import({ enis: [eni(1, 3), eni(2, 2)] });
  t.same(first.added, { enis: 2, ips: 5 });
  t.same(
    first.enis.map((e) => e.routeTable),
    [101, 102],
  );
  const a = store.allocate(req('c1'));

  const again = store.import({ enis: [eni(2, 2), eni(1, 3)] });
  t.same(again.added, { enis: 0, ips: 0 }, 'nothing new');
  t.same(
    again.enis.map((e) => [e.id, e.routeTable]),
    [
      ['eni-2', 102],
      ['eni-1', 101],
    ],
    'same tables',
  );
  t.equal(store.show(a.ipv4!).ip?.state, 'used', 'known IPs keep their state');

  const grown = store.import({ enis: [{ ...eni(1, 5), device: 'eth7', mtu: 9000 }] });
  t.same(grown.added, { enis: 0, ips: 2 }, 'new IPs on a known ENI');
  t.equal(grown.enis[0]!.device, 'eth7', 'informational fields follow the cloud');
  t.equal(grown.enis[0]!.mtu, 9000);
  t.equal(store.ips().length, 7);
});

t.test('the primary IP is always in the pool, listed or not', async (t) => {
  const store = freshStore(t);
  store.import({ enis: [{ ...eni(1, 3), ips: ['10.1.0.11'] }] });
  t.same(
    store.ips().map((i) => [i.ip, i.primary]),
    [
      ['10.1.0.10', true],
      ['10.1.0.11', false],
    ],
  );
});

t.test('a requested route table is kept when free; freed tables are reused lowest first', async (t) => {
  const store = freshStore(t);
  store.import({ enis: [{ ...eni(1, 1), routeTable: 150 }, eni(2, 1), eni(3, 1)] });
  t.same(
    store.enis().map((e) => [e.id, e.routeTable]),
    [
      ['eni-2', 101],
      ['eni-3', 102],
      ['eni-1', 150],
    ],
  );
  store.forget({ enis: [{ id: 'eni-2', ips: [], ipv6s: [], whole: true }] });
  store.import({ enis: [{ ...eni(4, 1), routeTable: 150 }] });
  t.equal(store.enis().find((e) => e.id === 'eni-4')?.routeTable, 101, 'taken 150 → lowest free');
});

t.test('bad import documents are refused whole, naming the field', async (t) => {
  const store = freshStore(t);
  const cases: Array<[string, unknown, RegExp]> = [
    ['no enis', {}, /^enis: is required/],
    ['bad MAC', { enis: [{ ...eni(1, 1), mac: 'zz' }] }, /enis\[0\]\.mac: "zz" is not a MAC/],
    [
      'IP outside the subnet',
      { enis: [eni(1, 1), { ...eni(2, 2), ips: ['10.2.0.10', '10.9.0.5'] }] },
      /enis\[1\]\.ips\[1\]: "10.9.0.5" is outside 10.2.0.0\/16/,
    ],
    ['v6 in ips', { enis: [{ ...eni(1, 1), ips: ['fd00::1'] }] }, /enis\[0\]\.ips\[0\]: "fd00::1" is not an IPv4/],
    ['v6 without subnet', { enis: [{ ...eni(1, 1), ipv6s: ['fd00::1'] }] }, /subnetCidrV6: is required/],
    ['bad mode', { enis: [{ ...eni(1, 1), mode: 'trunk' }] }, /enis\[0\]\.mode: must be shared or exclusive/],
    ['missing gateway', { enis: [{ ...eni(1, 1), gateway: undefined }] }, /enis\[0\]\.gateway/],
    ['duplicate id', { enis: [eni(1, 1), eni(1, 1)] }, /enis\[1\]\.id: eni-1 appears twice/],
    ['route table below 100', { enis: [{ ...eni(1, 1), routeTable: 5 }] }, /routeTable: must be a whole number from 100/],
  ];
  for (const [name, doc, msg] of cases) {
    const err = t.throws(() => store.import(doc), name) as UsageError;
    t.ok(err instanceof UsageError, `${name}: a UsageError (bad input)`);
    t.equal(err.exitCode, 2, `${name}: exit 2`);
    t.match(err.message, msg, `${name}: names the field`);
  }
  t.same(store.enis(), [], 'nothing was imported');
});

t.test('an import that contradicts the store is refused and changes nothing', async (t) => {
  const store = freshStore(t);
  store.import({ enis: [eni(1, 2)] });
  const cases: Array<[string, unknown, RegExp]> = [
    ['same id, other MAC', { enis: [eni(3, 1), { ...eni(1, 2), mac: '02:00:00:00:00:99' }] }, /enis\[1\]\.mac: ENI eni-1 is known with mac 02:00:00:00:00:01/],
    ['same MAC, other id', { enis: [{ ...eni(2, 1), mac: '02:00:00:00:00:01' }] }, /belongs to known ENI eni-1/],
    ['an IP of another ENI', { enis: [{ ...eni(2, 1), subnetCidr: '10.0.0.0/8', ips: ['10.1.0.11'] }] }, /10.1.0.11 is known on ENI eni-1/],
  ];
  for (const [name, doc, msg] of cases) {
    const err = t.throws(() => store.import(doc), name);
    t.ok(err instanceof ConflictError, `${name}: ConflictError`);
    t.match((err as Error).message, msg, name);
  }
  t.same(
    store.enis().map((e) => e.id),
    ['eni-1'],
    'the earlier ENIs of a refused document were not added either',
  );
});

t.test('surplus releases free secondaries beyond keep; never primaries, used or cooling IPs', async (t) => {
  const clock = manualClock();
  const store = freshStore(t, { now: clock.now });
  store.import({ enis: [eni(1, 10)] });
  store.allocate(req('p'));
  store.release(req('p')); // the primary 10.1.0.10 was handed out first; now cooling
  clock.advance(31); // …and free again
  store.allocate(req('u1'));
  store.allocate(req('u2'));
  store.allocate(req('u3'));
  store.release(req('u3')); // cooling
  t.same(byState(store), { free: 7, used: 2, cooling: 1, releasing: 0 });

  const doc = store.surplus({ keep: 3, wholeEnis: false });
  t.equal(doc.enis.length, 1);
  const released = doc.enis[0]!;
  t.equal(released.whole, false);
  t.equal(released.ips.length, 4, '7 free − keep 3');
  t.notOk(released.ips.includes('10.1.0.10'), 'never the primary');
  const states = new Map(store.ips().map((i) => [i.ip, i.state]));
  t.ok(
    released.ips.every((ip) => states.get(ip) === 'releasing'),
    'marked releasing',
  );
  t.same(byState(store), { free: 3, used: 2, cooling: 1, releasing: 4 });

  for (let i = 0; i < 3; i++) store.allocate(req(`n${i}`));
  t.throws(() => store.allocate(req('n4')), { name: 'NoFreeIpError' }, 'releasing IPs are never handed out');
  t.same(store.check(), []);
});

t.test('surplus: dry run, and unfinished releases listed again', async (t) => {
  const store = freshStore(t);
  store.import({ enis: [eni(1, 6)] });
  const dry = store.surplus({ keep: 2, wholeEnis: false, dryRun: true });
  t.same(dry.enis[0]?.ips.length, 4);
  t.equal(byState(store).releasing, 0, 'dry run marks nothing');
  const real = store.surplus({ keep: 2, wholeEnis: false });
  t.same(real, dry, 'the real run releases what the dry run showed');
  // The keeper crashed before `forget`: the next round lists them again, with nothing new.
  t.same(store.surplus({ keep: 2, wholeEnis: false }), real);
  t.same(store.surplus({ keep: 100 }), real, 'even when nothing is in excess');
});

t.test('surplus frees whole ENIs that have nothing in use', async (t) => {
  const store = freshStore(t);
  store.import({ enis: [eni(1, 4), eni(2, 3), eni(3, 5)] });
  store.allocate(req('c1')); // on eni-1
  // 11 free: eni-1 3, eni-2 3, eni-3 5.
  t.same(store.surplus({ keep: 20, dryRun: true }), { enis: [] }, 'nothing beyond keep');
  const doc = store.surplus({ keep: 4 }); // 7 to give back
  const whole = doc.enis.filter((e) => e.whole);
  t.same(
    whole.map((e) => e.id),
    ['eni-2'],
    'the smallest idle ENI that fits goes whole (eni-3 does not fit in what is left)',
  );
  t.same(whole[0]!.ips, ['10.2.0.10', '10.2.0.11', '10.2.0.12'], 'with all its IPs, primary included');
  const partial = doc.enis.filter((e) => !e.whole);
  t.equal(
    partial.reduce((n, e) => n + e.ips.length, 0),
    4,
    'the rest as secondary IPs',
  );
  t.same(
    partial.map((e) => e.id),
    ['eni-3'],
    'from the ENI with the fewest used IPs',
  );
  t.equal(store.stats().enis.find((e) => e.id === 'eni-2')?.releasing, true);
  t.equal(store.stats().totals.available, 4, 'keep is what remains allocatable');
});

t.test('surplus in dual-stack releases pairs; in exclusive mode whole ENIs only', async (t) => {
  const store = freshStore(t);
  store.setSettings({ ipFamily: 'dual' });
  store.import({ enis: [eni(1, 5, { v6: 5 })] });
  store.allocate(req('c1'));
  const doc = store.surplus({ keep: 1 }); // 4 free pairs, keep 1: release 3 pairs (not the primary)
  t.equal(doc.enis[0]!.ips.length, 3);
  t.equal(doc.enis[0]!.ipv6s.length, 3);
  t.notOk(doc.enis[0]!.ips.includes('10.1.0.10'));

  const ex = freshStore(t);
  ex.setSettings({ networkMode: 'exclusive' });
  ex.import({ enis: [eni(1, 1, { mode: 'exclusive' }), eni(2, 1, { mode: 'exclusive' }), eni(3, 1, { mode: 'exclusive' }), eni(4, 3)] });
  ex.allocate(req('c1'));
  const exDoc = ex.surplus({ keep: 1 });
  t.same(
    exDoc.enis.map((e) => [e.id, e.whole]),
    [['eni-2', true]],
    'one of the two free ENIs; the held one and the shared one untouched',
  );
});

t.test('surplus | forget: the released IPs and ENIs leave the store', async (t) => {
  const store = freshStore(t);
  store.import({ enis: [eni(1, 4), eni(2, 3)] });
  store.allocate(req('c1'));
  const doc = store.surplus({ keep: 1 });
  const result = store.forget(JSON.parse(JSON.stringify(doc)));
  t.same(result.enis, doc.enis, 'forget reports what it removed, in the same shape');
  t.same(result.flagged, []);
  t.same(
    store.enis().map((e) => e.id),
    ['eni-1'],
    'the whole ENI is gone',
  );
  t.same(byState(store), { free: 1, used: 1, cooling: 0, releasing: 0 });
  t.same(store.forget(doc), { enis: [], flagged: [] }, 'forget again: nothing left to do');
  t.same(store.check(), []);

  // …and the cloud gives them back later: import makes them free again.
  store.import({ enis: [eni(1, 4), eni(2, 3)] });
  t.same(byState(store), { free: 6, used: 1, cooling: 0, releasing: 0 });
});

t.test('forget of an IP a pod holds removes it but flags it; re-import gives it back to that pod', async (t) => {
  const store = freshStore(t);
  store.import({ enis: [eni(1, 3)] });
  const a = store.allocate(req('c1', 'web-0'));
  const result = store.forget({ enis: [{ id: 'eni-1', ips: [a.ipv4!, '10.1.0.99'], ipv6s: [] }] });
  t.same(result.enis, [{ id: 'eni-1', ips: [a.ipv4], ipv6s: [], whole: false }], 'unknown IPs are skipped');
  t.equal(result.flagged.length, 1);
  t.equal(result.flagged[0]!.ip, a.ipv4);
  t.equal(result.flagged[0]!.allocation.containerId, 'c1');
  t.equal(store.allocations().length, 1, 'the allocation stays until the pod’s DEL');
  t.same(
    store.check().map((f) => f.kind),
    ['allocation-ip-unknown'],
    'check reports the pod on a forgotten IP',
  );

  store.import({ enis: [eni(1, 3)] });
  t.equal(store.show(a.ipv4!).ip?.state, 'used', 're-imported as used: it is still that pod’s');
  t.same(store.check(), []);
  store.release(req('c1'));
  t.equal(store.show(a.ipv4!).ip?.state, 'cooling');
});

t.test('forget of a whole ENI with pods on it flags every held IP', async (t) => {
  const store = freshStore(t);
  store.import({ enis: [eni(1, 3)] });
  store.allocate(req('c1'));
  store.allocate(req('c2'));
  const result = store.forget({ enis: [{ id: 'eni-1', ips: [], ipv6s: [], whole: true }] });
  t.same(result.enis, [{ id: 'eni-1', ips: ['10.1.0.10', '10.1.0.11', '10.1.0.12'], ipv6s: [], whole: true }]);
  t.same(result.flagged.map((f) => f.allocation.containerId).sort(), ['c1', 'c2']);
  t.same(result.flagged[0]!.allocation.eni?.id, 'eni-1', 'the flagged allocation still shows its ENI');
  t.equal(store.show('c1').allocations[0]?.eni, null, 'afterwards the allocation’s ENI is unknown');
  t.same(new Set(store.check().map((f) => f.kind)), new Set(['allocation-ip-unknown', 'allocation-eni-missing']));
  t.ok(store.release(req('c1')).released, 'the pods’ DELs still work');
  store.release(req('c2'));
  t.same(store.check(), []);
});

t.test('bad forget documents name the field', async (t) => {
  const store = freshStore(t);
  t.throws(() => store.forget({ enis: [{ id: 'eni-1', ips: ['x'] }] }), { message: /enis\[0\]\.ips\[0\]: "x" is not an IPv4/ });
  t.throws(() => store.forget({ enis: [{ id: 'eni-1', whole: 'yes' }] }), { message: /enis\[0\]\.whole: must be true or false/ });
  t.throws(() => store.forget({ enis: [{ ips: [] }] }), { message: /enis\[0\]\.id: is required/ });
  t.throws(() => store.surplus({ keep: -1 }), { message: /keep must be a whole number/ });
});
