// Many real bin/cello-ipam processes on one database at once: SQLite's
// locking (WAL + BEGIN IMMEDIATE + busy timeout) is the only coordination.
import { join } from 'node:path';
import t from 'tap';
import Database from 'better-sqlite3';
import { type Allocation, MIGRATIONS, openStore } from '@cello/cello-ipam';
import { bin, run } from '@cello/testkit';
import { byState, eni, stateDir } from './helpers.ts';

const ipam = bin('cello-ipam');

t.test('64 processes allocate at once from 64 IPs: 64 distinct IPs; 64 releases leave 64 cooling', async (t) => {
  const dir = stateDir(t);
  const setup = openStore({ stateDir: dir });
  setup.import({ enis: [1, 2, 3, 4].map((n) => eni(n, 16)) });
  // Longer than 128 process starts can take on a loaded machine: no IP may finish cooling before the count.
  setup.setSettings({ ipCooldownSec: 3600 });
  t.equal(setup.ips().length, 64);
  setup.close();

  const ids = Array.from({ length: 64 }, (_, i) => `container-${i}`);
  const allocs = await Promise.all(
    ids.map((id, i) => run(ipam, ['alloc', '--state-dir', dir, '--container', id, '--pod-namespace', 'default', '--pod-name', `pod-${i}`])),
  );
  const failed = allocs.filter((r) => r.exitCode !== 0);
  t.same(
    failed.map((r) => String(r.stderr)),
    [],
    'every process succeeded',
  );
  const got = allocs.map((r) => JSON.parse(String(r.stdout)) as Allocation);
  t.same(
    got.map((a) => a.containerId),
    ids,
    'each printed its own allocation',
  );
  const ips = got.map((a) => a.ipv4!);
  t.equal(new Set(ips).size, 64, '64 distinct IPs, none handed out twice');

  const store = openStore({ stateDir: dir });
  t.teardown(() => store.close());
  t.same(byState(store), { free: 0, used: 64, cooling: 0, releasing: 0 });
  t.same(new Map(store.allocations().map((a) => [a.containerId, a.ipv4])), new Map(got.map((a) => [a.containerId, a.ipv4])), 'the store agrees');
  const extra = await run(ipam, ['alloc', '--state-dir', dir, '--container', 'one-too-many']);
  t.equal(extra.exitCode, 1, 'the 65th fails');
  t.match(String(extra.stderr), /^cello-ipam: no free IPv4 on 4 shared ENI\(s\): 64 in use, 0 being released$/, 'one line naming the reason');

  const releases = await Promise.all(ids.map((id) => run(ipam, ['release', '--state-dir', dir, '--container', id])));
  t.same(
    releases.filter((r) => r.exitCode !== 0).map((r) => String(r.stderr)),
    [],
    'every release succeeded',
  );
  t.ok(
    releases.every((r) => (JSON.parse(String(r.stdout)) as { released: boolean }).released),
    'each released its allocation',
  );
  t.same(byState(store), { free: 0, used: 0, cooling: 64, releasing: 0 }, '64 cooling IPs');
  t.same(store.allocations(), []);
  t.same(store.check(), []);
});

t.test('16 processes opening a database that does not exist yet all succeed; it is migrated once', async (t) => {
  const dir = join(stateDir(t), 'fresh');
  const results = await Promise.all(Array.from({ length: 16 }, () => run(ipam, ['stats', '--state-dir', dir])));
  t.same(
    results.filter((r) => r.exitCode !== 0).map((r) => String(r.stderr)),
    [],
    'every process succeeded',
  );
  const raw = new Database(join(dir, 'ipam.db'), { readonly: true });
  t.teardown(() => raw.close());
  t.same(
    raw.prepare('SELECT version FROM schema_version ORDER BY version').all(),
    MIGRATIONS.map((m) => ({ version: m.version })),
    'one row per migration: each applied once',
  );
  t.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
});
