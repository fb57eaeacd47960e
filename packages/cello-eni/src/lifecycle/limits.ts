/**
 * What this node may hold (docs/volcengine-api.md, Limits): the instance type's ENI
 * and per-ENI IP limits, minus the primary ENI and the ENIs someone else
 * attached (ours are the ones carrying this instance's Cello tags). The
 * device plugin's counts come from `capacity`.
 *
 * Reads are budget (issue 14), so each fact comes from where it is cheapest:
 *
 * - The ENIs attached to the instance: the metadata service's interface list
 *   (`network/interfaces/macs`, node-local, no OpenAPI call) instead of
 *   DescribeInstances. Metadata lags the API: an ENI someone attached a
 *   moment ago may not be counted yet, which DescribeInstances' snapshot
 *   could miss just as well a moment later; either way the cloud refuses an
 *   attach past the limit (LimitExceeded.EnisPerInstance), the round then
 *   reads the limits again, and the create is rolled back.
 * - Which of those are ours: the reconcile's listing when the caller has it,
 *   else the MACs of the ENIs cello-ipam holds (the keeper's later rounds:
 *   an ENI of ours attached but not imported yet counts as someone else's
 *   until the next reconcile, which errs on the safe side), else one
 *   DescribeNetworkInterfaces by this instance's tags (`cello-eni limits`).
 * - The type's limits (DescribeInstanceTypes): cached in the keeper's state
 *   dir (TYPE_LIMITS_FILE), keyed by the instance type as the metadata
 *   service reports it now — a resized instance asks again — and kept for
 *   TYPE_LIMITS_MAX_AGE_MS. A limit the cloud refuses as exceeded drops the
 *   entry (forgetTypeLimits), so a wrong cache is read again, never used on.
 */
import { join } from 'node:path';
import { readJsonFile, writeJsonFile } from '@cello/cli-kit';
import type { EniContext } from '../context.ts';
import type { CloudEni, InstanceTypeLimits } from '../openapi/api.ts';
import { attachedMacs } from '../metadata/instance.ts';
import { isOwned, ownedFilter } from './tags.ts';

export interface NodeLimits {
  instanceType: string;
  /** ENIs the type allows, the primary included. */
  maxEnis: number;
  /** IPv4s per ENI, its primary address included; the same number bounds IPv6s (the API has no IPv6 field). */
  ipsPerEni: number;
  /** ENIs attached now, the primary included. */
  attachedEnis: number;
  /** Of those, the ones Cello created for this node. */
  celloEnis: number;
  /** Attached by someone else (not the primary, not ours): they take slots from us. */
  foreignEnis: number;
  /** Secondary ENIs Cello may hold: maxEnis − 1 − foreignEnis. */
  eniSlots: number;
  /** Pods the node can serve: shared = eniSlots × ipsPerEni, exclusive = eniSlots. */
  capacity: { shared: number; exclusive: number };
  /** Where the type's limits came from: the cloud now, or the state dir's cache (and when it was read). */
  typeLimitsFrom: 'cloud' | { cache: string };
}

/** The cache of DescribeInstanceTypes answers in the keeper's state dir. */
export const TYPE_LIMITS_FILE = 'instance-type-limits.json';
/** How long a cached answer is used: a type's limits change seldom, and a raised one should not go unused for long. */
export const TYPE_LIMITS_MAX_AGE_MS = 24 * 3600_000;

interface CachedType {
  maxEnis: number;
  ipsPerEni: number;
  /** ISO time of the DescribeInstanceTypes answer. */
  readAt: string;
}

function readCache(dir: string): Record<string, CachedType> {
  // None yet, or unreadable: the cloud is asked.
  const doc = readJsonFile<{ types?: unknown }>(join(dir, TYPE_LIMITS_FILE));
  return doc && typeof doc.types === 'object' && doc.types ? (doc.types as Record<string, CachedType>) : {};
}

function writeCache(dir: string, types: Record<string, CachedType>): void {
  writeJsonFile(join(dir, TYPE_LIMITS_FILE), { version: 1, types });
}

/** A usable cache entry for `type`, or undefined. */
function cached(dir: string, type: string, now = Date.now()): CachedType | undefined {
  const c = readCache(dir)[type];
  if (!c || !(c.maxEnis >= 1) || !(c.ipsPerEni >= 1)) return undefined;
  const at = Date.parse(c.readAt);
  return Number.isFinite(at) && at <= now && now - at < TYPE_LIMITS_MAX_AGE_MS ? c : undefined;
}

/** Drop the cached limits of `type` (the cloud refused one as exceeded): the next round asks DescribeInstanceTypes. */
export function forgetTypeLimits(dir: string | undefined, type: string): void {
  if (!dir) return;
  const types = readCache(dir);
  if (!(type in types)) return;
  delete types[type];
  try {
    writeCache(dir, types);
  } catch {
    // a read-only state dir: nothing was cached there either
  }
}

/** The instance type's limits: the state dir's cache when it has a fresh entry for this very type, else the cloud (and cached). */
async function typeLimits(
  ctx: Pick<EniContext, 'api' | 'identity' | 'log'>,
  cacheDir: string | undefined,
): Promise<{ limits: InstanceTypeLimits; from: NodeLimits['typeLimitsFrom'] }> {
  const type = ctx.identity.instanceType;
  const hit = cacheDir ? cached(cacheDir, type) : undefined;
  if (hit) return { limits: { instanceType: type, maxEnis: hit.maxEnis, ipsPerEni: hit.ipsPerEni }, from: { cache: hit.readAt } };
  const limits = await ctx.api.instanceTypeLimits(type);
  if (cacheDir) {
    try {
      writeCache(cacheDir, { ...readCache(cacheDir), [type]: { maxEnis: limits.maxEnis, ipsPerEni: limits.ipsPerEni, readAt: new Date().toISOString() } });
    } catch (err) {
      ctx.log.debug('could not cache the instance type limits; they are asked again next start', { error: err });
    }
  }
  return { limits, from: 'cloud' };
}

export interface LimitsOptions {
  /** Our ENIs as a listing just returned them (the reconcile's): saves the DescribeNetworkInterfaces. */
  ownedAttached?: CloudEni[];
  /** Else the MACs of the ENIs known to be ours (cello-ipam's): saves the DescribeNetworkInterfaces too. */
  ownMacs?: string[];
  /** The keeper's state dir, where the type's limits are cached; without it they are always asked. */
  cacheDir?: string;
}

export async function nodeLimits(
  ctx: Pick<EniContext, 'api' | 'identity' | 'config' | 'metadata' | 'log' | 'signal'>,
  opts: LimitsOptions = {},
): Promise<NodeLimits> {
  const { api, identity, config } = ctx;
  const listing = async (): Promise<Set<string>> => {
    if (!opts.ownedAttached && opts.ownMacs) return new Set(opts.ownMacs.map((m) => m.toLowerCase()));
    const owned = opts.ownedAttached ?? (await api.listEnis({ instanceId: identity.instanceId, tags: ownedFilter(config, identity.instanceId) }));
    return new Set(owned.filter((e) => e.instanceId === identity.instanceId && isOwned(config, e, identity.instanceId)).map((e) => e.mac));
  };
  const [type, macs, ours] = await Promise.all([typeLimits(ctx, opts.cacheDir), attachedMacs(ctx.metadata, ctx.signal), listing()]);
  // The service lists the primary too; should it lag even for that, the primary still counts once.
  const attached = macs.includes(identity.primaryMac) ? macs : [identity.primaryMac, ...macs];
  const celloEnis = attached.filter((m) => ours.has(m)).length;
  const foreignEnis = attached.filter((m) => m !== identity.primaryMac && !ours.has(m)).length;
  const { limits } = type;
  const eniSlots = Math.max(0, limits.maxEnis - 1 - foreignEnis);
  return {
    instanceType: limits.instanceType,
    maxEnis: limits.maxEnis,
    ipsPerEni: limits.ipsPerEni,
    attachedEnis: attached.length,
    celloEnis,
    foreignEnis,
    eniSlots,
    capacity: { shared: eniSlots * limits.ipsPerEni, exclusive: eniSlots },
    typeLimitsFrom: type.from,
  };
}
