/**
 * How much an ENI can still serve: its IPs grouped by family and effective
 * state, and the allocatable units under the node settings (IPs in shared
 * mode, v4+v6 pairs in dual-stack, the ENI itself in exclusive mode). Shared
 * by `stats` (what the keeper reads) and `surplus` (what it gives back).
 * A pod's fixed address counts as taken, so an ENI holding one is never idle;
 * so does the primary address of a Fixed network's ENI (never handed out).
 */
import type { Db } from './db.ts';
import type { Family } from '@cello/records';
import { isFixed } from './fixed-ips.ts';
import { familiesOf } from './pick.ts';
import { readSettings } from './settings.ts';
import { effectiveState, type EniRow, type IpRow } from './rows.ts';
import type { Settings } from './types.ts';

export interface EniView {
  eni: EniRow;
  ips: IpRow[];
  /** Free IPs per family, in the order allocation hands them out. */
  free: Record<Family, IpRow[]>;
  /** Someone holds it: in exclusive mode the whole ENI is taken. */
  allocated: boolean;
  /** Nothing on it is used, cooling, releasing or a pod's fixed address. */
  idle: boolean;
}

export function eniView(db: Db, eni: EniRow, now: number): EniView {
  // In allocation order: never-used (NULL freed_at sorts first), then least recently freed.
  const ips = db.all<IpRow>('SELECT * FROM ips WHERE eni_id = ? ORDER BY freed_at, rowid', [eni.id]);
  // A fixed address (fixed-ips.ts) is its pod's: never free for others, never given back.
  const fixed = new Set(db.all<{ ip: string }>('SELECT f.ip FROM fixed_ips f JOIN ips i ON i.ip = f.ip WHERE i.eni_id = ?', [eni.id]).map((r) => r.ip));
  // A Fixed network's pods never get a primary address (it could not move with them).
  if (eni.pod_network && isFixed(db, eni.pod_network, readSettings(db).ipFamily)) fixed.add(eni.primary_ip);
  const isFree = (r: IpRow) => effectiveState(r, now) === 'free' && !fixed.has(r.ip);
  const free: Record<Family, IpRow[]> = { 4: [], 6: [] };
  for (const r of ips) if (isFree(r)) free[r.family].push(r);
  const allocated = db.get('SELECT 1 FROM allocations WHERE eni_id = ? LIMIT 1', [eni.id]) !== undefined;
  return { eni, ips, free, allocated, idle: ips.every(isFree) };
}

/** Allocations this ENI could serve right now under the settings (0 for another mode's or a releasing ENI). */
export function unitsOf(v: EniView, s: Settings): number {
  if (v.eni.mode !== s.networkMode || v.eni.state !== 'active') return 0;
  const fams = familiesOf(s.ipFamily);
  if (s.networkMode === 'exclusive') {
    if (v.allocated) return 0;
    const primaryFree = v.free[4].some((r) => r.ip === v.eni.primary_ip);
    return fams.every((f) => (f === 4 ? primaryFree : v.free[6].length > 0)) ? 1 : 0;
  }
  return Math.min(...fams.map((f) => v.free[f].length));
}
