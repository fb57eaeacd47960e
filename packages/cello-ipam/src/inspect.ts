/** Read-only views: stats for the keeper, lists and show for operators. Each reads one snapshot. */
import { holderOf, loadAllocation } from './allocate.ts';
import { eniView, unitsOf } from './capacity.ts';
import type { Db } from './db.ts';
import { canonicalIp, familyOf } from '@cello/records';
import { type AllocationRow, effectiveState, type EniRow, eniRecord, type IpRow, ipRecord } from './rows.ts';
import { listPodNetworks } from './pod-networks.ts';
import { readSettings } from './settings.ts';
import type { Allocation, EniRecord, IpRecord, StateCounts, Stats } from './types.ts';

const zero = (): StateCounts => ({ free: 0, used: 0, cooling: 0, releasing: 0, total: 0 });

function add(into: StateCounts, from: StateCounts) {
  for (const k of Object.keys(into) as (keyof StateCounts)[]) into[k] += from[k];
}

export function stats(db: Db): Stats {
  return db.read(() => {
    const settings = readSettings(db);
    const now = db.now();
    const totals = { ipv4: zero(), ipv6: zero(), available: 0, allocations: 0 };
    const podNetworks: Stats['podNetworks'] = {};
    // A pod network's ENIs serve under its mode; one the node no longer knows, under the ENI's own.
    const known = new Map(listPodNetworks(db).map((n) => [n.name, n.spec.mode]));
    const modeFor = (eni: EniRow) => (eni.pod_network ? (known.get(eni.pod_network) ?? eni.mode) : settings.networkMode);
    const enis = db.all<EniRow>('SELECT * FROM enis ORDER BY route_table').map((eni) => {
      const v = eniView(db, eni, now);
      const counts = { 4: zero(), 6: zero() };
      for (const r of v.ips) {
        counts[r.family][effectiveState(r, now)]++;
        counts[r.family].total++;
      }
      const available = unitsOf(v, { ...settings, networkMode: modeFor(eni) });
      if (eni.pod_network) {
        const n = (podNetworks[eni.pod_network] ??= { enis: 0, available: 0, demand: 0 });
        n.enis++;
        n.available += available;
      } else {
        // The totals are the default network's pool, the one the keeper's targets are about.
        add(totals.ipv4, counts[4]);
        add(totals.ipv6, counts[6]);
        totals.available += available;
      }
      return {
        id: eni.id,
        mode: eni.mode,
        ...(eni.pod_network ? { podNetwork: eni.pod_network } : {}),
        ...(eni.device ? { device: eni.device } : {}),
        routeTable: eni.route_table,
        releasing: eni.state === 'releasing',
        ipv4: counts[4],
        ipv6: counts[6],
        available,
      };
    });
    totals.allocations = db.get<{ n: number }>("SELECT COUNT(*) AS n FROM allocations WHERE pod_network = ''")!.n;
    const demand = db.get<{ n: number; oldest: number | null }>("SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM demands WHERE pod_network = ''")!;
    for (const r of db.all<{ network: string; n: number }>("SELECT pod_network AS network, COUNT(*) AS n FROM demands WHERE pod_network != '' GROUP BY 1")) {
      (podNetworks[r.network] ??= { enis: 0, available: 0, demand: 0 }).demand = r.n;
    }
    return {
      settings,
      enis,
      totals,
      podNetworks,
      demand: { count: demand.n, ...(demand.oldest !== null ? { oldestAt: new Date(demand.oldest).toISOString() } : {}) },
    };
  });
}

export function listEnis(db: Db): EniRecord[] {
  return db.all<EniRow>('SELECT * FROM enis ORDER BY route_table').map(eniRecord);
}

export function listAllocations(db: Db): Allocation[] {
  return db.read(() => db.all<AllocationRow>('SELECT * FROM allocations ORDER BY allocated_at, rowid').map((r) => loadAllocation(db, r)));
}

/** IPs with their effective state, owner and whether they are their ENI's primary. */
export function listIps(db: Db, where = '', params: unknown[] = []): IpRecord[] {
  return db.read(() => {
    const now = db.now();
    const rows = db.all<IpRow & { primary_ip: string }>(
      `SELECT i.*, e.primary_ip FROM ips i LEFT JOIN enis e ON e.id = i.eni_id ${where} ORDER BY i.eni_id, i.family, i.rowid`,
      params,
    );
    return rows.map(({ primary_ip, ...r }) => {
      return ipRecord(r, now, r.ip === primary_ip, r.state === 'used' ? holderOf(db, r.ip) : undefined);
    });
  });
}

/** What `show` found for a query: the IP (its record and holder), or the allocations of a container id. */
export interface StoreLookup {
  ip?: IpRecord;
  allocations: Allocation[];
}

/** An IP (its record and holder) or a container id (its allocations: the exact id, else every id with that prefix). */
export function show(db: Db, query: string): StoreLookup {
  return db.read((): StoreLookup => {
    if (familyOf(query)) {
      const ip = canonicalIp(query);
      const [record] = listIps(db, 'WHERE i.ip = ?', [ip]);
      const holder = holderOf(db, ip);
      return { ...(record ? { ip: record } : {}), allocations: holder ? [loadAllocation(db, holder)] : [] };
    }
    let rows = db.all<AllocationRow>('SELECT * FROM allocations WHERE container_id = ?', [query]);
    if (!rows.length) rows = db.all<AllocationRow>('SELECT * FROM allocations WHERE substr(container_id, 1, length(?)) = ?', [query, query]);
    return { allocations: rows.map((r) => loadAllocation(db, r)) };
  });
}
