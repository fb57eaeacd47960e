/**
 * The schema and its forward migrations. A database is at version N when the
 * schema_version table holds N as its highest row. Opening a store applies
 * every migration above that, in order, inside one BEGIN IMMEDIATE
 * transaction (SQLite DDL is transactional, so a crash mid-way applies none).
 *
 * To change the schema, append a migration; never edit a released one.
 */
import type { SqliteDb } from '@cello/runtime/sqlite';
import { StoreError } from './errors.ts';

export interface Migration {
  version: number;
  description: string;
  up: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'ENIs, IPs, allocations, demands, settings',
    up: `
      CREATE TABLE enis (
        id             TEXT PRIMARY KEY,
        mac            TEXT NOT NULL UNIQUE,
        device         TEXT,
        mode           TEXT NOT NULL CHECK (mode IN ('shared', 'exclusive')),
        subnet_id      TEXT,
        subnet_cidr    TEXT NOT NULL,
        gateway        TEXT NOT NULL,
        subnet_cidr_v6 TEXT,
        gateway_v6     TEXT,
        primary_ip     TEXT NOT NULL,
        mtu            INTEGER,
        route_table    INTEGER NOT NULL UNIQUE CHECK (route_table >= 100),
        state          TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'releasing')),
        imported_at    INTEGER NOT NULL
      ) STRICT;

      -- The pool: every address the cloud gave this node's ENIs. 'cooling' rows
      -- count as free once cooling_until has passed (times are ms since the epoch).
      CREATE TABLE ips (
        ip            TEXT PRIMARY KEY,
        family        INTEGER NOT NULL CHECK (family IN (4, 6)),
        eni_id        TEXT NOT NULL REFERENCES enis(id),
        state         TEXT NOT NULL DEFAULT 'free' CHECK (state IN ('free', 'used', 'cooling', 'releasing')),
        freed_at      INTEGER,
        cooling_until INTEGER,
        last_pod      TEXT,
        imported_at   INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX ips_by_eni ON ips(eni_id);
      -- Allocation's lookup: the next IP of a family in hand-out order, without a sort.
      CREATE INDEX ips_ready ON ips(family, freed_at) WHERE state IN ('free', 'cooling');

      -- Who holds what, keyed by the CNI triple. Not foreign keys on purpose: an
      -- allocation outlives an IP the cloud took back (forget flags it) until
      -- the pod's DEL, and check reports the mismatch meanwhile.
      CREATE TABLE allocations (
        network       TEXT NOT NULL,
        container_id  TEXT NOT NULL,
        ifname        TEXT NOT NULL,
        pod_namespace TEXT NOT NULL DEFAULT '',
        pod_name      TEXT NOT NULL DEFAULT '',
        netns         TEXT NOT NULL DEFAULT '',
        mode          TEXT NOT NULL,
        eni_id        TEXT NOT NULL,
        ipv4          TEXT UNIQUE,
        ipv6          TEXT UNIQUE,
        allocated_at  INTEGER NOT NULL,
        PRIMARY KEY (network, container_id, ifname)
      ) STRICT;
      CREATE INDEX allocations_by_container ON allocations(container_id);
      CREATE INDEX allocations_by_eni ON allocations(eni_id);

      -- ADDs that found the pool empty, for the keeper to serve.
      CREATE TABLE demands (
        network       TEXT NOT NULL,
        container_id  TEXT NOT NULL,
        ifname        TEXT NOT NULL,
        pod_namespace TEXT NOT NULL DEFAULT '',
        pod_name      TEXT NOT NULL DEFAULT '',
        mode          TEXT NOT NULL,
        ip_family     TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        PRIMARY KEY (network, container_id, ifname)
      ) STRICT;

      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    description: "pod networks: the PodNetworks, the decisions for this node's pods, and the network of each ENI, allocation and demand",
    up: `
      -- '' is the default network (the cluster config's subnets and security groups).
      ALTER TABLE enis ADD COLUMN pod_network TEXT NOT NULL DEFAULT '';
      ALTER TABLE allocations ADD COLUMN pod_network TEXT NOT NULL DEFAULT '';
      ALTER TABLE demands ADD COLUMN pod_network TEXT NOT NULL DEFAULT '';

      -- The PodNetworks as cello-agent last saw them (spec: the parsed JSON).
      -- While this table has rows, an ADD waits for its pod's decision.
      CREATE TABLE pod_networks (
        name       TEXT PRIMARY KEY,
        spec       TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      -- Which network each pod of this node is on, decided by cello-agent
      -- before the pod's ADD; network '' is the default network.
      CREATE TABLE pod_network_decisions (
        pod_namespace TEXT NOT NULL,
        pod_name      TEXT NOT NULL,
        pod_uid       TEXT NOT NULL,
        network       TEXT NOT NULL,
        reason        TEXT NOT NULL,
        decided_at    INTEGER NOT NULL,
        PRIMARY KEY (pod_namespace, pod_name)
      ) STRICT;
    `,
  },
  {
    version: 3,
    description: 'fixed addresses: the address each pod of a Fixed pod network keeps, and where it is in its move to this node',
    up: `
      -- One row per pod (pod = "namespace/name") of a Fixed network that has,
      -- or is getting, its address on this node (docs/podnetworks.md):
      --   incoming   cello-agent found it on another ENI (from_eni); the keeper moves it here
      --   here       on an ENI of this node, not yet published in the pod's PodAddress
      --   published  the PodAddress names this node
      --   gone       the PodAddress names another node: never handed out here, dropped once the cloud took it
      -- No other pod is ever given the address while its row exists.
      CREATE TABLE fixed_ips (
        pod         TEXT PRIMARY KEY,
        pod_network TEXT NOT NULL,
        ip          TEXT NOT NULL UNIQUE,
        state       TEXT NOT NULL CHECK (state IN ('incoming', 'here', 'published', 'gone')),
        from_eni    TEXT,
        subnet_id   TEXT,
        since       INTEGER NOT NULL
      ) STRICT;
    `,
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** The database's schema version; 0 for a new, empty file. */
export function schemaVersion(db: SqliteDb): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (!table) return 0;
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

/**
 * Bring the database up to the last of `migrations`. Concurrent openers
 * serialise on the write lock; whoever comes second finds nothing to do.
 */
export function migrate(db: SqliteDb, migrations: readonly Migration[] = MIGRATIONS): number {
  const latest = migrations[migrations.length - 1]!.version;
  const refuseNewer = (v: number) => {
    if (v > latest) {
      throw new StoreError(
        `${db.path} has schema version ${v} but this cello-ipam knows up to ${latest}: run a cello-ipam at least as new as the one that wrote it`,
      );
    }
  };
  const seen = schemaVersion(db);
  refuseNewer(seen);
  if (seen === latest) return seen;
  db.transaction(() => {
    const current = schemaVersion(db);
    refuseNewer(current);
    if (current === 0) {
      db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT');
    }
    const record = db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)');
    for (const m of migrations) {
      if (m.version <= current) continue;
      db.exec(m.up);
      record.run([m.version, new Date().toISOString()]);
    }
  }).immediate();
  return latest;
}
