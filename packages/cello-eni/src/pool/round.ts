/**
 * One keeper round: finish releases a crash left behind, compare the pool
 * with its targets, then add (plan + fill) or give back (surplus → unassign
 * or free → forget). Spare ENIs the round did not need are deleted.
 */
import type { SurplusDoc } from '@cello/cello-ipam';
import { freeEni } from '../lifecycle/eni.ts';
import { forgetTypeLimits, type NodeLimits, nodeLimits } from '../lifecycle/limits.ts';
import { NoSubnetError } from '../lifecycle/subnets.ts';
import { podNetworkOf } from '../lifecycle/tags.ts';
import type { CloudEni } from '../openapi/api.ts';
import { isLimit, isSubnetFull, OpenApiError } from '../openapi/errors.ts';
import type { KeeperContext } from './context.ts';
import { fill, type FillResult, giveBack } from './fill.ts';
import { type NetworkRound, runNetworkRounds } from './networks.ts';
import { planFill } from './plan.ts';
import { type PoolTargets, poolTargets, targetsMet } from './targets.ts';

/** What kind of obstacle stopped a round from growing the pool. */
export type BlockedBy =
  /** No configured subnet can take a new ENI (every one full, held off, in another zone, …). */
  | 'no-subnet'
  /** A subnet answered InsufficientIpInSubnet to an assign on an ENI the node has. */
  | 'subnet-full'
  /** An account quota (QuotaExceeded.*) or a per-instance limit (LimitExceeded.*). */
  | 'cloud-limit'
  /** The node's capacity (or poolMaxCap) is smaller than the targets. */
  | 'capacity';

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
  /** What kind of obstacle `blocked` describes (for callers that act on it, like the agent's events). */
  blockedBy?: BlockedBy;
  /** The pod networks' pools (networks.ts), after the default pool's. */
  podNetworks: NetworkRound[];
  met: boolean;
}

export interface RoundState {
  limits?: { value: NodeLimits; at: number };
  spares: CloudEni[];
  /** Our ENIs as the reconcile just listed them: the next limits count them as ours (used once; later, cello-ipam's ENIs are). */
  listed?: CloudEni[];
}

const LIMITS_MAX_AGE_MS = 60_000;

/** Refusals that say the node's limits (lifecycle/limits.ts) were wrong. */
const LIMIT_CODES = new Set(['LimitExceeded.EnisPerInstance', 'LimitExceeded.PrivateIpsPerEni', 'LimitExceeded.Ipv6AddressesPerEni']);

async function limitsOf(k: KeeperContext, state: RoundState): Promise<NodeLimits> {
  if (!state.limits || Date.now() - state.limits.at > LIMITS_MAX_AGE_MS) {
    const ownMacs = k.store.enis().map((e) => e.mac);
    state.limits = { value: await nodeLimits(k, { ownedAttached: state.listed, ownMacs, cacheDir: k.stateDir }), at: Date.now() };
  }
  state.listed = undefined;
  return state.limits.value;
}

interface Blocked {
  by: BlockedBy;
  message: string;
}

/** The first failure that more tries will not fix, if any. */
function blockingFailure(errors: Error[]): Blocked | undefined {
  for (const e of errors) {
    if (e instanceof NoSubnetError) return { by: 'no-subnet', message: e.message };
    const by = isSubnetFull(e) ? 'subnet-full' : isLimit(e) ? 'cloud-limit' : undefined;
    if (by) return { by, message: `${(e as OpenApiError).code}: ${e.message}` };
  }
  return undefined;
}

/** Plan and carry out adding `t.toAdd` units. */
async function add(k: KeeperContext, state: RoundState, limits: NodeLimits, t: PoolTargets, errors: string[]) {
  const stats = k.store.stats();
  const records = k.store.enis();
  const plan = planFill({
    toAdd: t.toAdd,
    enis: stats.enis.filter((e) => !e.podNetwork), // the default network's pool; pod networks' ENIs are not this pool's
    eniSubnet: new Map(records.map((e) => [e.id, { subnetId: e.subnetId, ipv6: Boolean(e.subnetCidrV6) }])),
    spares: state.spares.filter((s) => !podNetworkOf(s)), // a pod network's spare has its groups: never the default pool's
    ipsPerEni: limits.ipsPerEni,
    freeSlots: limits.eniSlots - records.length,
    heldOff: (id) => (id ? k.picker.isHeldOff(id) : false),
    cfg: k.config,
  });
  k.log.info('filling the pool', {
    toAdd: t.toAdd,
    free: t.free,
    total: t.total,
    demand: t.demand,
    assign: plan.assign.length,
    adopt: plan.adopt.length,
    create: plan.create.length,
  });
  const { errors: failed, ...filled } = await fill(k, plan);
  state.spares = state.spares.filter((s) => !plan.adopt.some((a) => a.eni.id === s.id));
  errors.push(...failed.map((e) => e.message));
  if (failed.some((e) => e instanceof OpenApiError && LIMIT_CODES.has(e.code))) {
    // The cloud says a limit we planned with is wrong: read them all again, the type's too (its cache may be stale).
    state.limits = undefined;
    forgetTypeLimits(k.stateDir, limits.instanceType);
  }
  return { filled, blocked: blockingFailure(failed) };
}

/** Delete the spare ENIs a round did not need. */
async function dropSpares(k: KeeperContext, state: RoundState, errors: string[]): Promise<string[]> {
  const deleted: string[] = [];
  for (const s of [...state.spares]) {
    try {
      await freeEni(k, s.id);
      deleted.push(s.id);
      state.spares = state.spares.filter((x) => x.id !== s.id);
      k.log.info('deleted a spare ENI the pool does not need', { eni: s.id });
    } catch (err) {
      if (k.signal?.aborted) throw err;
      errors.push(`${s.id}: ${(err as Error).message}`);
    }
  }
  return deleted;
}

export async function runRound(k: KeeperContext, state: RoundState, opts: { release: boolean }): Promise<RoundReport> {
  const released: SurplusDoc = { enis: [] };
  const errors: string[] = [];
  // Releases an earlier round or a crash left unfinished (keep everything else).
  await giveBack(k, k.store.surplus({ keep: Number.MAX_SAFE_INTEGER }), released, errors);

  const limits = await limitsOf(k, state);
  const before = poolTargets(k.store.stats(), limits, k.config);
  let added: Awaited<ReturnType<typeof add>> | undefined;
  if (before.toAdd > 0) {
    added = await add(k, state, limits, before, errors);
  } else if (opts.release && before.toRelease > 0) {
    k.log.info('releasing surplus', {
      toRelease: before.toRelease,
      free: before.free,
      target: before.target,
      total: before.total,
      targetMin: before.targetMin,
    });
    await giveBack(k, k.store.surplus({ keep: before.free - before.toRelease }), released, errors);
  }
  const podNetworks = await runNetworkRounds(k, limits, errors);
  const after = poolTargets(k.store.stats(), limits, k.config);
  const deletedSpares = after.toAdd === 0 ? await dropSpares(k, state, errors) : [];
  const blocked: Blocked | undefined = added?.blocked ?? (after.shortfall ? { by: 'capacity', message: after.shortfall } : undefined);
  return {
    before,
    after,
    ...(added ? { filled: added.filled } : {}),
    released,
    deletedSpares,
    podNetworks,
    errors,
    ...(blocked ? { blocked: blocked.message, blockedBy: blocked.by } : {}),
    met: targetsMet(after) && !errors.length,
  };
}
