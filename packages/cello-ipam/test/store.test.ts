// The database file itself: permissions, forward migrations, integrity check.
import { chmodSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import Database from 'better-sqlite3';
import { LATEST_VERSION, MIGRATIONS, type Migration, openStore, StoreError } from '@cello/cello-ipam';
import { bin, run } from '@cello/testkit';
import { eni, req, stateDir } from './helpers.ts';

const mode = (p: string) => statSync(p).mode & 0o777;

t.test('the directory is made 0700 and the file 0600, WAL files included', async (t) => {
  const dir = join(stateDir(t), 'var', 'lib', 'cello');
  const store = openStore({ stateDir: dir });
  t.teardown(() => store.close());
  store.import({ enis: [eni(1, 2)] });
  t.equal(mode(dir), 0o700, 'state dir 0700');
  t.equal(mode(join(dir, 'ipam.db')), 0o600, 'ipam.db 0600');
  for (const f of ['ipam.db-wal', 'ipam.db-shm']) {
    t.ok(existsSync(join(dir, f)), `${f} exists (WAL mode)`);
    t.equal(mode(join(dir, f)), 0o600, `${f} 0600`);
  }
});

t.test('an existing file that is too open is made 0600', async (t) => {
  const dir = stateDir(t);
  writeFileSync(join(dir, 'ipam.db'), '');
  chmodSync(join(dir, 'ipam.db'), 0o644);
  openStore({ stateDir: dir }).close();
  t.equal(mode(join(dir, 'ipam.db')), 0o600);
});

t.test('an unwritable state dir fails with a message that says what to do', async (t) => {
  const dir = stateDir(t);
  writeFileSync(join(dir, 'file'), '');
  const err = t.throws(() => openStore({ stateDir: join(dir, 'file', 'sub') })) as StoreError;
  t.ok(err instanceof StoreError);
  t.match(err.message, /cannot open .*file\/sub\/ipam\.db/);
});

t.test('an older schema is migrated forward with its data, a newer one refused', async (t) => {
  const dir = stateDir(t);
  // A file at version 1, with data written by version-1 code (its SQL: today's code writes later columns).
  openStore({ stateDir: dir, migrations: MIGRATIONS.slice(0, 1) }).close();
  const v1 = new Database(join(dir, 'ipam.db'));
  v1.exec(`
    INSERT INTO enis (id, mac, mode, subnet_cidr, gateway, primary_ip, route_table, imported_at)
      VALUES ('eni-1', '02:00:00:00:00:01', 'shared', '10.1.0.0/24', '10.1.0.1', '10.1.0.10', 101, 0);
    INSERT INTO ips (ip, family, eni_id, state, imported_at) VALUES ('10.1.0.10', 4, 'eni-1', 'used', 0), ('10.1.0.11', 4, 'eni-1', 'free', 0), ('10.1.0.12', 4, 'eni-1', 'free', 0);
    INSERT INTO allocations (network, container_id, ifname, pod_namespace, pod_name, mode, eni_id, ipv4, allocated_at)
      VALUES ('cello', 'c1', 'eth0', 'default', 'web-0', 'shared', 'eni-1', '10.1.0.10', 0);
  `);
  v1.close();

  const v2: Migration = { version: LATEST_VERSION + 1, description: 'test: a note per ENI', up: 'ALTER TABLE enis ADD COLUMN note TEXT' };
  const next = openStore({ stateDir: dir, migrations: [...MIGRATIONS, v2] });
  const [held] = next.allocations();
  t.match(held, { containerId: 'c1', podName: 'web-0', ipv4: '10.1.0.10', eni: { id: 'eni-1' } }, 'allocations survive the migration');
  t.notOk(held?.podNetwork, 'rows from before pod networks are on the default network');
  t.equal(next.ips().length, 3);
  t.match(next.allocate(req('c2', 'web-1')), { ipv4: '10.1.0.11' }, 'and the migrated pool allocates');
  next.close();

  const raw = new Database(join(dir, 'ipam.db'), { readonly: true });
  t.same(
    raw.prepare('SELECT version FROM schema_version ORDER BY version').all(),
    [...MIGRATIONS, v2].map((m) => ({ version: m.version })),
    'every applied migration is recorded',
  );
  t.ok(raw.prepare("SELECT 1 FROM pragma_table_info('enis') WHERE name = 'note'").get(), 'the new migration ran');
  raw.close();

  const err = t.throws(() => openStore({ stateDir: dir })) as StoreError;
  t.ok(err instanceof StoreError, 'the older code refuses a newer file');
  t.match(err.message, new RegExp(`schema version ${v2.version} but this cello-ipam knows up to ${LATEST_VERSION}`));
});

t.test('an empty file (version 0) is brought to the latest version', async (t) => {
  const dir = stateDir(t);
  writeFileSync(join(dir, 'ipam.db'), '');
  const store = openStore({ stateDir: dir });
  store.import({ enis: [eni(1, 1)] });
  store.close();
  const raw = new Database(join(dir, 'ipam.db'), { readonly: true });
  t.same(raw.prepare('SELECT MAX(version) AS v FROM schema_version').get(), { v: LATEST_VERSION });
  raw.close();
});

t.test('check finds damage made behind the store’s back; the CLI exits 1 with the findings', async (t) => {
  const dir = stateDir(t);
  const store = openStore({ stateDir: dir });
  store.import({ enis: [eni(1, 4)] });
  store.allocate(req('good'));
  store.close();
  t.equal((await run(bin('cello-ipam'), ['check', '--state-dir', dir])).exitCode, 0, 'clean store: exit 0');

  // Hand edits, as with the sqlite3 shell (which does not enforce foreign keys).
  const raw = new Database(join(dir, 'ipam.db'));
  raw.pragma('foreign_keys = OFF');
  raw.prepare("UPDATE ips SET state = 'used' WHERE ip = '10.1.0.11'").run();
  raw
    .prepare(
      "INSERT INTO allocations (network, container_id, ifname, mode, eni_id, ipv4, allocated_at) VALUES ('cello', 'ghost', 'eth0', 'shared', 'eni-1', '10.1.0.12', 0)",
    )
    .run();
  raw.prepare("INSERT INTO ips (ip, family, eni_id, state, imported_at) VALUES ('10.7.0.1', 4, 'eni-7', 'free', 0)").run();
  raw
    .prepare(
      "INSERT INTO allocations (network, container_id, ifname, mode, eni_id, ipv4, allocated_at) VALUES ('cello', 'lost', 'eth0', 'shared', 'eni-9', NULL, 0)",
    )
    .run();
  t.throws(
    () =>
      raw
        .prepare(
          "INSERT INTO allocations (network, container_id, ifname, mode, eni_id, ipv4, allocated_at) VALUES ('cello', 'twice', 'eth0', 'shared', 'eni-1', '10.1.0.10', 0)",
        )
        .run(),
    /UNIQUE constraint failed: allocations.ipv4/,
    'an IP held twice is refused by the schema itself',
  );
  raw.close();

  const r = await run(bin('cello-ipam'), ['check', '--state-dir', dir]);
  t.equal(r.exitCode, 1, 'findings: exit 1');
  const out = JSON.parse(String(r.stdout)) as { ok: boolean; findings: Array<{ kind: string; message: string }> };
  t.equal(out.ok, false);
  t.same(out.findings.map((f) => f.kind).sort(), [
    'allocation-eni-missing',
    'allocation-without-address',
    'ip-on-unknown-eni',
    'owner-on-unused-ip',
    'used-without-owner',
  ]);
  t.ok(out.findings.some((f) => f.message === '10.1.0.11 is marked used but no allocation holds it'));
  const table = await run(bin('cello-ipam'), ['check', '--state-dir', dir, '-o', 'table']);
  t.match(String(table.stdout), /^KIND\s+FINDING\n/, 'a table when asked');
});
