/**
 * ALLOC and RELEASE, each one BEGIN IMMEDIATE transaction: the hot path of
 * every pod ADD and DEL.
 */
import type { Db } from './db.ts';
import { clearDemandFor, insertDemand } from './demand.ts';
import { NoFreeIpError } from './errors.ts';
import { isFixed, pickFixed, reserveFixed } from './fixed-ips.ts';
import { familiesOf, pickAddresses } from './pick.ts';
import { type AllocationRow, allocationRecord, type EniRow, KEY_WHERE, keyParams, podKey } from './rows.ts';
import { modeOf } from './pod-networks.ts';
import { readSettings } from './settings.ts';
import type { AllocRequest, Allocation, AllocationKey, ReleaseResult, Settings } from './types.ts';
import { allocationKey, allocRequest } from './validate.ts';

export interface AllocateOptions {
  /** On NoFreeIpError, record the ADD as a demand for the pool keeper in the same transaction. */
  recordDemand?: boolean;
}

export function loadAllocation(db: Db, row: AllocationRow): Allocation {
  return allocationRecord(row, db.get<EniRow>('SELECT * FROM enis WHERE id = ?', [row.eni_id]));
}

/** The allocation that holds an address (at most one: ipv4 and ipv6 are each UNIQUE). */
export const holderOf = (db: Db, ip: string) => db.get<AllocationRow>('SELECT * FROM allocations WHERE ipv4 = ? OR ipv6 = ?', [ip, ip]);

const rowOf = (db: Db, key: ReturnType<typeof keyParams>) => db.get<AllocationRow>(`SELECT * FROM allocations WHERE ${KEY_WHERE}`, key);

/** The allocation a CNI triple holds, if any (CHECK reads this; it changes nothing). */
export function findAllocation(db: Db, keyIn: AllocationKey): Allocation | undefined {
  const row = rowOf(db, keyParams(allocationKey(keyIn)));
  return row && loadAllocation(db, row);
}

type Outcome = { allocation: Allocation } | { failure: NoFreeIpError };

export function allocate(db: Db, request: AllocRequest, opts: AllocateOptions = {}): Allocation {
  const req = allocRequest(request);
  const key = keyParams(req);
  const outcome = db.write((): Outcome => {
    const existing = rowOf(db, key);
    if (existing) return { allocation: loadAllocation(db, existing) };

    const settings = readSettings(db);
    const now = db.now();
    const pod = podKey(req.podNamespace, req.podName);
    const mode = req.podNetwork ? modeOf(db, req.podNetwork) : settings.networkMode; // settings are read already
    // A pod of a Fixed network gets its own address, or waits while it is moved here (fixed-ips.ts).
    const fixed = pod !== null && isFixed(db, req.podNetwork, settings.ipFamily);
    const own = fixed ? pickFixed(db, req.podNamespace, req.podName, req.podNetwork) : undefined;
    if (own && 'moving' in own) {
      if (opts.recordDemand) insertDemand(db, req, mode);
      const message = `no free IPv4 of podnetwork ${req.podNetwork}: the fixed address ${own.moving} of pod ${pod} is still being moved to this node`;
      return { failure: new NoFreeIpError(message, 'moving', undefined, opts.recordDemand === true) };
    }
    const pick = own?.chosen ?? pickAddresses(db, { podNetwork: req.podNetwork, mode, ipFamily: settings.ipFamily, pod, now, secondaryOnly: fixed });
    if (fixed && !own && pick?.ipv4) reserveFixed(db, req.podNamespace, req.podName, req.podNetwork, pick.ipv4);
    if (!pick) {
      if (opts.recordDemand) insertDemand(db, req, mode);
      return { failure: noFreeIp(db, { ...settings, networkMode: mode }, req.podNetwork, now, opts.recordDemand === true) };
    }

    for (const ip of [pick.ipv4, pick.ipv6]) {
      if (ip) db.run("UPDATE ips SET state = 'used', last_pod = ? WHERE ip = ?", [pod, ip]);
    }
    db.run(
      `INSERT INTO allocations (network, container_id, ifname, pod_namespace, pod_name, netns, mode, eni_id, ipv4, ipv6, allocated_at, pod_network)
       VALUES (@network, @container_id, @ifname, @pod_namespace, @pod_name, @netns, @mode, @eni_id, @ipv4, @ipv6, @now, @pod_network)`,
      {
        ...key,
        pod_namespace: req.podNamespace,
        pod_name: req.podName,
        netns: req.netns,
        pod_network: req.podNetwork,
        mode,
        eni_id: pick.eniId,
        ipv4: pick.ipv4 ?? null,
        ipv6: pick.ipv6 ?? null,
        now,
      },
    );
    clearDemandFor(db, key);
    return { allocation: loadAllocation(db, rowOf(db, key)!) };
  });
  if ('failure' in outcome) throw outcome.failure;
  return outcome.allocation;
}

/** Say why nothing was free, in words an operator can act on (`settings.networkMode`: the pod network's mode). */
function noFreeIp(db: Db, settings: Settings, podNetwork: string, now: number, demandRecorded: boolean): NoFreeIpError {
  const mode = settings.networkMode;
  const what =
    familiesOf(settings.ipFamily)
      .map((f) => `IPv${f}`)
      .join('+') + (podNetwork ? ` of podnetwork ${podNetwork}` : '');
  const enis = db.get<{ n: number }>("SELECT COUNT(*) AS n FROM enis WHERE mode = ? AND pod_network = ? AND state = 'active'", [mode, podNetwork])!.n;
  const suffix = demandRecorded ? '; demand recorded for the pool keeper' : '';
  if (enis === 0) {
    return new NoFreeIpError(
      `no free ${what}: no ${mode} ENI${podNetwork ? ' of that network' : ''} is known on this node yet (the pool keeper has imported none)${suffix}`,
      'no-eni',
      undefined,
      demandRecorded,
    );
  }
  const { freeAt } = db.get<{ freeAt: number | null }>(
    `SELECT MIN(i.cooling_until) AS freeAt FROM ips i JOIN enis e ON e.id = i.eni_id
     WHERE e.mode = ? AND e.pod_network = ? AND e.state = 'active' AND i.state = 'cooling' AND i.cooling_until > ?`,
    [mode, podNetwork, now],
  )!;
  if (freeAt !== null) {
    const at = new Date(freeAt);
    return new NoFreeIpError(
      `no free ${what}: released addresses are cooling down (ipCooldownSec=${settings.ipCooldownSec}); the first is free at ${at.toISOString()}${suffix}`,
      'cooling',
      at,
      demandRecorded,
    );
  }
  const counts = db.get<{ used: number; releasing: number; free: number }>(
    `SELECT COUNT(*) FILTER (WHERE i.state = 'used') AS used, COUNT(*) FILTER (WHERE i.state = 'releasing') AS releasing,
            COUNT(*) FILTER (WHERE i.state IN ('free', 'cooling')) AS free
     FROM ips i JOIN enis e ON e.id = i.eni_id WHERE e.mode = ? AND e.pod_network = ?`,
    [mode, podNetwork],
  )!;
  // Free IPs but no allocation: in dual-stack, none of them has a partner of the other family on its ENI.
  const pairing = counts.free ? `, ${counts.free} free but unpaired (no ENI has a free IPv4 and IPv6 together)` : '';
  return new NoFreeIpError(
    `no free ${what} on ${enis} ${mode} ENI(s): ${counts.used} in use, ${counts.releasing} being released${pairing}${suffix}`,
    'exhausted',
    undefined,
    demandRecorded,
  );
}

/**
 * Release by the CNI triple. An unknown triple is a success that changes
 * nothing; so is a late DEL from an old sandbox, whose container id no longer
 * owns anything even when a new sandbox of the same pod holds the same IP.
 */
export function release(db: Db, keyIn: AllocationKey): ReleaseResult {
  const key = keyParams(allocationKey(keyIn));
  return db.write((): ReleaseResult => {
    clearDemandFor(db, key);
    const row = rowOf(db, key);
    if (!row) return { released: false };
    const now = db.now();
    const until = now + Math.round(readSettings(db).ipCooldownSec * 1000);
    for (const ip of [row.ipv4, row.ipv6]) {
      if (ip) db.run("UPDATE ips SET state = 'cooling', freed_at = ?, cooling_until = ? WHERE ip = ? AND state = 'used'", [now, until, ip]);
    }
    db.run(`DELETE FROM allocations WHERE ${KEY_WHERE}`, key);
    return { released: true, allocation: loadAllocation(db, row) };
  });
}
