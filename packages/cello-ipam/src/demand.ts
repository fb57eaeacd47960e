/**
 * Demand: ADDs that found no free IP. The CNI records one (usually through
 * `allocate(…, { recordDemand: true })`, in the same transaction as the failed
 * attempt), the pool keeper reads them to grow the pool, and a later
 * successful allocation or a release of the same triple clears it.
 */
import type { Db } from './db.ts';
import { KEY_WHERE, keyParams } from './rows.ts';
import { modeOf } from './pod-networks.ts';
import { readSettings } from './settings.ts';
import type { AllocRequest, Demand } from './types.ts';
import { allocRequest } from './validate.ts';

interface DemandRow {
  network: string;
  container_id: string;
  ifname: string;
  pod_namespace: string;
  pod_name: string;
  mode: Demand['mode'];
  ip_family: Demand['ipFamily'];
  created_at: number;
  pod_network: string;
}

/** Inside a write transaction: record the demand unless the triple already has one (its first time is kept). `mode`: its pod network's. */
export function insertDemand(db: Db, req: Required<AllocRequest>, mode: Demand['mode']): void {
  db.run(
    `INSERT INTO demands (network, container_id, ifname, pod_namespace, pod_name, mode, ip_family, created_at, pod_network)
     VALUES (@network, @container_id, @ifname, @pod_namespace, @pod_name, @mode, @ip_family, @now, @pod_network)
     ON CONFLICT DO NOTHING`,
    {
      ...keyParams(req),
      pod_namespace: req.podNamespace,
      pod_name: req.podName,
      mode,
      ip_family: readSettings(db).ipFamily,
      now: db.now(),
      pod_network: req.podNetwork,
    },
  );
}

export function addDemand(db: Db, req: AllocRequest): void {
  const valid = allocRequest(req);
  db.write(() => insertDemand(db, valid, modeOf(db, valid.podNetwork)));
}

export function clearDemandFor(db: Db, key: ReturnType<typeof keyParams>): void {
  db.run(`DELETE FROM demands WHERE ${KEY_WHERE}`, key);
}

export function listDemands(db: Db): Demand[] {
  return db.all<DemandRow>('SELECT * FROM demands ORDER BY created_at, rowid').map((r) => ({
    network: r.network,
    containerId: r.container_id,
    ifname: r.ifname,
    podNamespace: r.pod_namespace,
    podName: r.pod_name,
    mode: r.mode,
    ipFamily: r.ip_family,
    createdAt: new Date(r.created_at).toISOString(),
    ...(r.pod_network ? { podNetwork: r.pod_network } : {}),
  }));
}

/** Remove all demands, or those recorded before `before`; returns how many went. */
export function clearDemands(db: Db, opts: { before?: Date } = {}): number {
  return db.write(() =>
    opts.before ? db.run('DELETE FROM demands WHERE created_at < ?', [opts.before.getTime()]).changes : db.run('DELETE FROM demands').changes,
  );
}
