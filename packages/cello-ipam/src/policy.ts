/**
 * Which addresses an allocation gets: a pure function over the candidate IPs,
 * so the rules read in one place and are tested without a database.
 *
 * 1. StatefulSet stickiness: an IP this pod (namespace/name) held last, free or
 *    still cooling, comes back to it first.
 * 2. Otherwise never-used IPs first, then the least recently freed; cooling
 *    IPs are not eligible until their time is up.
 * 3. Dual-stack takes a v4 and a v6 on the same ENI. Exclusive mode takes the
 *    ENI's primary IPv4 (the candidate list holds only unallocated exclusive ENIs).
 */
import type { Family } from './ip.ts';
import type { IpFamilySetting } from './types.ts';

export interface Candidate {
  ip: string;
  family: Family;
  eniId: string;
  state: 'free' | 'cooling';
  freedAt: number | null;
  coolingUntil: number | null;
  lastPod: string | null;
  primary: boolean;
  /** Import order: the tie-breaker. */
  seq: number;
}

export interface Chosen {
  eniId: string;
  ipv4?: string;
  ipv6?: string;
}

export interface PickOptions {
  ipFamily: IpFamilySetting;
  /** "namespace/name" of the pod, or null when unknown. */
  pod: string | null;
  now: number;
  /** Exclusive mode: the v4 must be the ENI's primary IP. */
  primaryOnly: boolean;
}

export function familiesOf(setting: IpFamilySetting): Family[] {
  return setting === 'dual' ? [4, 6] : setting === 'ipv6' ? [6] : [4];
}

/** Never-used first, then least recently freed, then import order. */
export function leastRecentlyFreed(a: Pick<Candidate, 'freedAt' | 'seq'>, b: Pick<Candidate, 'freedAt' | 'seq'>): number {
  if (a.freedAt === null || b.freedAt === null) {
    if (a.freedAt !== b.freedAt) return a.freedAt === null ? -1 : 1;
  } else if (a.freedAt !== b.freedAt) {
    return a.freedAt - b.freedAt;
  }
  return a.seq - b.seq;
}

export function pickAddresses(candidates: readonly Candidate[], opts: PickOptions): Chosen | undefined {
  const [lead, partner] = familiesOf(opts.ipFamily) as [Family, Family | undefined];
  const ready = (c: Candidate) => c.state === 'free' || (c.coolingUntil ?? 0) <= opts.now;
  const mine = (c: Candidate) => opts.pod !== null && c.lastPod === opts.pod;
  const leadOk = (c: Candidate) => c.family === lead && (!opts.primaryOnly || lead === 6 || c.primary);

  /** The best address of `family` on one ENI: the pod's own first, then by age. */
  const bestOn = (eniId: string, family: Family) =>
    candidates
      .filter((c) => c.eniId === eniId && c.family === family && (mine(c) || ready(c)))
      .sort((a, b) => Number(mine(b)) - Number(mine(a)) || leastRecentlyFreed(a, b))[0];

  const complete = (first: Candidate): Chosen | undefined => {
    const second = partner === undefined ? undefined : bestOn(first.eniId, partner);
    if (partner !== undefined && !second) return undefined;
    const pick: Chosen = { eniId: first.eniId };
    for (const c of [first, second]) if (c) pick[c.family === 4 ? 'ipv4' : 'ipv6'] = c.ip;
    return pick;
  };

  const sticky = candidates.filter((c) => leadOk(c) && mine(c)).sort((a, b) => (b.freedAt ?? 0) - (a.freedAt ?? 0));
  const fresh = candidates.filter((c) => leadOk(c) && ready(c)).sort(leastRecentlyFreed);
  for (const c of [...sticky, ...fresh]) {
    const pick = complete(c);
    if (pick) return pick;
  }
  return undefined;
}

/** When the first cooling candidate becomes free, or undefined when none is cooling. */
export function firstFreeAt(candidates: readonly Candidate[], now: number): number | undefined {
  const times = candidates.filter((c) => c.state === 'cooling' && (c.coolingUntil ?? 0) > now).map((c) => c.coolingUntil!);
  return times.length ? Math.min(...times) : undefined;
}
