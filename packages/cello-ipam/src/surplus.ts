/**
 * SURPLUS: what the pool keeper may give back to the cloud. Counts the
 * allocatable units (IPs, pairs in dual-stack, whole ENIs in exclusive mode)
 * that are free right now — cooling ones do not count — and marks everything
 * beyond `keep` as `releasing` in the same transaction, so no ADD can take it.
 *
 * - Whole ENIs first: an ENI of the node's mode whose every IP is free is
 *   released whole (`whole: true`) when all its units fit in the excess.
 *   Smallest first. Exclusive ENIs can only go whole.
 * - Then secondary IPs (never an ENI's primary) from the shared ENIs with the
 *   fewest used IPs, so ENIs drain and can later go whole; within an ENI, in
 *   the order allocation would hand them out, which keeps recently freed IPs
 *   for their StatefulSet pods.
 * - Anything already `releasing` (a previous round the keeper did not finish)
 *   is listed again, so the pipe `surplus | cello-eni unassign | forget`
 *   completes whatever a crash interrupted.
 */
import type { Db } from './db.ts';
import { UsageError } from '@cello/cli-kit';
import { type EniView, eniView, unitsOf } from './capacity.ts';
import type { Family } from '@cello/records';
import { familiesOf } from './pick.ts';
import type { EniRow, IpRow } from './rows.ts';
import { poolModeOf } from './pod-networks.ts';
import { readSettings } from './settings.ts';
import type { SurplusDoc, SurplusEni } from './types.ts';

export interface SurplusOptions {
  /** Free units to keep for coming pods. */
  keep: number;
  /** Release whole ENIs that have nothing in use (default true). */
  wholeEnis?: boolean;
  /** Report without marking anything. */
  dryRun?: boolean;
  /** The pod network whose pool this is ('' or absent: the default network); other networks' ENIs are never touched. */
  podNetwork?: string;
}

type Plan = Map<string, SurplusEni>;

function addTo(plan: Plan, id: string, rows: IpRow[], whole: boolean) {
  const e = plan.get(id) ?? { id, ips: [], ipv6s: [], whole };
  e.whole ||= whole;
  for (const r of rows) (r.family === 4 ? e.ips : e.ipv6s).push(r.ip);
  plan.set(id, e);
}

/** What earlier rounds marked and nobody forgot yet. */
function leftovers(db: Db, plan: Plan) {
  for (const eni of db.all<EniRow>("SELECT * FROM enis WHERE state = 'releasing' ORDER BY id")) {
    addTo(plan, eni.id, db.all<IpRow>('SELECT * FROM ips WHERE eni_id = ? ORDER BY rowid', [eni.id]), true);
  }
  const ips = db.all<IpRow>(
    "SELECT i.* FROM ips i JOIN enis e ON e.id = i.eni_id WHERE e.state = 'active' AND i.state = 'releasing' ORDER BY i.eni_id, i.rowid",
  );
  for (const r of ips) addTo(plan, r.eni_id, [r], false);
}

/** Decide what goes beyond `keep`; returns the ENIs and IPs to mark now. */
function chooseExcess(db: Db, opts: SurplusOptions, plan: Plan, now: number) {
  const network = opts.podNetwork ?? '';
  const s = { ...readSettings(db), networkMode: poolModeOf(db, network) };
  const views = db
    .all<EniRow>("SELECT * FROM enis WHERE state = 'active' AND mode = ? AND pod_network = ? ORDER BY id", [s.networkMode, network])
    .map((eni) => eniView(db, eni, now));
  const units = (v: EniView) => unitsOf(v, s);
  const used = (v: EniView) => v.ips.filter((r) => r.state === 'used').length;
  let excess = views.reduce((n, v) => n + units(v), 0) - opts.keep;
  const marked = { enis: [] as string[], ips: [] as string[] };

  if (opts.wholeEnis !== false) {
    for (const v of views.filter((v) => v.idle && units(v) > 0).sort((a, b) => units(a) - units(b))) {
      if (units(v) > excess) continue;
      excess -= units(v);
      marked.enis.push(v.eni.id);
      addTo(plan, v.eni.id, v.ips, true);
    }
  }
  if (s.networkMode === 'shared') {
    const fams = familiesOf(s.ipFamily);
    for (const v of views.filter((v) => !marked.enis.includes(v.eni.id)).sort((a, b) => used(a) - used(b))) {
      if (excess <= 0) break;
      const secondary = (f: Family) => v.free[f].filter((r) => r.ip !== v.eni.primary_ip);
      const n = Math.min(excess, ...fams.map((f) => secondary(f).length));
      if (n <= 0) continue;
      const rows = fams.flatMap((f) => secondary(f).slice(0, n));
      excess -= n;
      marked.ips.push(...rows.map((r) => r.ip));
      addTo(plan, v.eni.id, rows, false);
    }
  }
  return marked;
}

export function surplus(db: Db, opts: SurplusOptions): SurplusDoc {
  if (!Number.isInteger(opts.keep) || opts.keep < 0) throw new UsageError(`keep must be a whole number ≥ 0, got ${opts.keep}`);
  const run = (mark: boolean): SurplusDoc => {
    const now = db.now();
    const plan: Plan = new Map();
    leftovers(db, plan);
    const marked = chooseExcess(db, opts, plan, now);
    if (mark) {
      for (const id of marked.enis) {
        db.run("UPDATE enis SET state = 'releasing' WHERE id = ?", [id]);
        db.run("UPDATE ips SET state = 'releasing' WHERE eni_id = ?", [id]);
      }
      for (const ip of marked.ips) {
        db.run("UPDATE ips SET state = 'releasing' WHERE ip = ? AND (state = 'free' OR (state = 'cooling' AND cooling_until <= ?))", [ip, now]);
      }
    }
    return { enis: [...plan.values()] };
  };
  return opts.dryRun ? db.read(() => run(false)) : db.write(() => run(true));
}
