/**
 * The pool's arithmetic, in "units" — what one pod takes: an IP in shared
 * mode (a v4+v6 pair in dual-stack, a v6 in IPv6-only), a whole ENI in
 * exclusive mode. Pure: the keeper feeds it cello-ipam's stats and the node
 * limits, and acts on the answer.
 *
 *   capacity  = ENI slots × IPs per ENI (shared) or ENI slots (exclusive)
 *   maxCap    = capacity with poolMaxCapProbe, else min(poolMaxCap, capacity)
 *   target    = min(poolTarget,    ⌊poolTargetLimit × capacity⌋)
 *   targetMin = min(poolTargetMin, ⌊poolTargetLimit × capacity⌋)
 *   toAdd     = min(maxCap − total, max(target − free, targetMin − total, demand − free))
 *   toRelease = max(min(free − target, total − targetMin), total − maxCap), at most free
 *
 * "free" counts units allocatable now (cooling ones are not: they are
 * released only after their cooldown); "total" counts every unit the node
 * holds that is not already on its way back.
 */
import type { Stats } from '@cello/cello-ipam';
import type { CelloConfig } from '../config/resolve.ts';
import type { NodeLimits } from '../lifecycle/limits.ts';

export interface PoolTargets {
  capacity: number;
  maxCap: number;
  target: number;
  targetMin: number;
  /** Units allocatable now. */
  free: number;
  /** Units held (free, used, cooling), excluding those being released. */
  total: number;
  used: number;
  /** ADDs waiting for an IP. */
  demand: number;
  toAdd: number;
  toRelease: number;
  /** The configured targets were cut to what the node can hold. */
  capped: boolean;
  /** Why the targets cannot be met even after adding toAdd, if they cannot. */
  shortfall?: string;
}

export const families = (ipFamily: CelloConfig['ipFamily']): Array<'ipv4' | 'ipv6'> =>
  ipFamily === 'dual' ? ['ipv4', 'ipv6'] : ipFamily === 'ipv6' ? ['ipv6'] : ['ipv4'];

/** Units an ENI holds (not counting what is being released), under the node's mode and family. */
export function unitsHeld(e: Stats['enis'][number], cfg: Pick<CelloConfig, 'networkMode' | 'ipFamily'>): number {
  const mode = cfg.networkMode === 'eni_exclusive' ? 'exclusive' : 'shared';
  if (e.mode !== mode || e.releasing) return 0;
  if (mode === 'exclusive') return 1;
  return Math.min(...families(cfg.ipFamily).map((f) => e[f].total - e[f].releasing));
}

export function poolTargets(stats: Stats, limits: NodeLimits, cfg: CelloConfig): PoolTargets {
  const exclusive = cfg.networkMode === 'eni_exclusive';
  const capacity = exclusive ? limits.capacity.exclusive : limits.capacity.shared;
  const maxCap = cfg.poolMaxCapProbe || cfg.poolMaxCap === undefined ? capacity : Math.min(cfg.poolMaxCap, capacity);
  const limitCap = Math.floor(cfg.poolTargetLimit * capacity);
  const target = Math.min(cfg.poolTarget, limitCap);
  const targetMin = Math.min(cfg.poolTargetMin, limitCap);
  const free = stats.totals.available;
  const total = stats.enis.reduce((n, e) => n + (e.podNetwork ? 0 : unitsHeld(e, cfg)), 0); // the default network's pool only
  const used = stats.totals.allocations;
  const demand = stats.demand.count;

  const want = Math.max(target - free, targetMin - total, demand - free, 0);
  const room = Math.max(0, maxCap - total);
  const toAdd = Math.min(want, room);
  const toRelease = demand > 0 ? 0 : Math.min(free, Math.max(Math.min(free - target, total - targetMin), total - maxCap, 0));

  let shortfall: string | undefined;
  if (want > room) {
    const unit = exclusive ? 'ENIs' : 'IPs';
    shortfall =
      maxCap < capacity
        ? `poolMaxCap ${cfg.poolMaxCap} caps the pool at ${maxCap} ${unit} and ${total} are held`
        : `the node holds at most ${capacity} ${unit} (${limits.eniSlots} ENI slots${exclusive ? '' : ` × ${limits.ipsPerEni} IPs`}) and ${total} are held, ${used} in use`;
  }
  return {
    capacity,
    maxCap,
    target,
    targetMin,
    free,
    total,
    used,
    demand,
    toAdd,
    toRelease,
    capped: target < cfg.poolTarget || targetMin < cfg.poolTargetMin,
    ...(shortfall ? { shortfall } : {}),
  };
}

/** Targets are met: nothing to add that could be added, and no shortfall. */
export const targetsMet = (t: PoolTargets) => t.toAdd === 0 && !t.shortfall;
