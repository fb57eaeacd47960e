/**
 * One keeper round: finish releases a crash left behind, compare the pool
 * with its targets, then add (plan + fill) or give back (surplus → unassign
 * or free → forget). Spare ENIs the round did not need are deleted.
 */
import type { SurplusDoc } from '@cello/cello-ipam';
import { freeEni } from '../lifecycle/eni.ts';
import { type NodeLimits, nodeLimits } from '../lifecycle/limits.ts';
import { releaseSurplus } from '../lifecycle/release.ts';
import { NoSubnetError } from '../lifecycle/subnets.ts';
import type { CloudEni } from '../openapi/api.ts';
import { isLimit, isSubnetFull, OpenApiError } from '../openapi/errors.ts';
import type { KeeperContext } from './context.ts';
import { fill, type FillResult } from './fill.ts';
import { planFill } from './plan.ts';
import { type PoolTargets, poolTargets, targetsMet } from './targets.ts';

export interface RoundReport {
  before: PoolTargets;
  after: PoolTargets;
  filled?: Omit<FillResult, 'errors'>;
  /** What went back to the cloud (Surplus shape). */
  released: SurplusDoc;
  deletedSpares: string[];
  errors: string[];
  /** A quota, limit or full subnet stopped the round: more tries will not help until something changes. */
  blocked?: string;
  met: boolean;
}

export interface RoundState {
  limits?: { value: NodeLimits; at: number };
  spares: CloudEni[];
}

const LIMITS_MAX_AGE_MS = 60_000;

async function limitsOf(k: KeeperContext, state: RoundState): Promise<NodeLimits> {
  if (!state.limits || Date.now() - state.limits.at > LIMITS_MAX_AGE_MS) state.limits = { value: await nodeLimits(k), at: Date.now() };
  return state.limits.value;
}

async function giveBack(k: KeeperContext, doc: SurplusDoc, report: RoundReport) {
  if (!doc.enis.length) return;
  const r = await releaseSurplus(k, doc);
  const forgotten = k.store.forget(r.removed);
  report.released.enis.push(...forgotten.enis);
  for (const f of r.failed) report.errors.push(`${f.id}: ${f.error.message}`);
  if (forgotten.enis.length) k.log.info('gave back to the cloud', { released: forgotten.enis });
}

function blockedBy(errors: Error[]): string | undefined {
  const e = errors.find((x) => x instanceof NoSubnetError || isSubnetFull(x) || isLimit(x));
  if (!e) return undefined;
  return e instanceof OpenApiError ? `${e.code}: ${e.message}` : e.message;
}

export async function runRound(k: KeeperContext, state: RoundState, opts: { release: boolean }): Promise<RoundReport> {
  const report = { released: { enis: [] }, deletedSpares: [], errors: [] } as unknown as RoundReport;
  // Releases an earlier round or a crash left unfinished (keep everything else).
  await giveBack(k, k.store.surplus({ keep: Number.MAX_SAFE_INTEGER }), report);

  const limits = await limitsOf(k, state);
  report.before = poolTargets(k.store.stats(), limits, k.config);
  const t = report.before;
  if (t.toAdd > 0) {
    const stats = k.store.stats();
    const records = k.store.enis();
    const plan = planFill({
      toAdd: t.toAdd,
      enis: stats.enis,
      eniSubnet: new Map(records.map((e) => [e.id, { subnetId: e.subnetId, ipv6: Boolean(e.subnetCidrV6) }])),
      spares: state.spares,
      ipsPerEni: limits.ipsPerEni,
      freeSlots: limits.eniSlots - records.length,
      heldOff: (id) => (id ? k.picker.isHeldOff(id) : false),
      cfg: k.config,
    });
    k.log.info('filling the pool', { toAdd: t.toAdd, free: t.free, total: t.total, demand: t.demand, assign: plan.assign.length, adopt: plan.adopt.length, create: plan.create.length });
    const { errors, ...filled } = await fill(k, plan);
    report.filled = filled;
    state.spares = state.spares.filter((s) => !plan.adopt.some((a) => a.eni.id === s.id));
    report.errors.push(...errors.map((e) => e.message));
    report.blocked = blockedBy(errors);
    if (errors.some((e) => e instanceof OpenApiError && e.code === 'LimitExceeded.EnisPerInstance')) state.limits = undefined;
  } else if (opts.release && t.toRelease > 0) {
    k.log.info('releasing surplus', { toRelease: t.toRelease, free: t.free, target: t.target, total: t.total, targetMin: t.targetMin });
    await giveBack(k, k.store.surplus({ keep: t.free - t.toRelease }), report);
  }

  report.after = poolTargets(k.store.stats(), limits, k.config);
  if (report.after.toAdd === 0 && state.spares.length) {
    for (const s of [...state.spares]) {
      try {
        await freeEni(k, s.id);
        report.deletedSpares.push(s.id);
        state.spares = state.spares.filter((x) => x.id !== s.id);
        k.log.info('deleted a spare ENI the pool does not need', { eni: s.id });
      } catch (err) {
        if (k.signal?.aborted) throw err;
        report.errors.push(`${s.id}: ${(err as Error).message}`);
      }
    }
  }
  report.met = targetsMet(report.after) && !report.errors.length;
  if (!report.blocked && report.after.shortfall) report.blocked = report.after.shortfall;
  return report;
}
