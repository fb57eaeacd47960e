/**
 * Which addresses an allocation gets. The rules, in the order they apply:
 *
 * 1. StatefulSet stickiness: an IP this pod (namespace/name) held last comes
 *    back to it first, even while it is still cooling down.
 * 2. Otherwise never-used IPs first, then the least recently freed (SQLite
 *    sorts a NULL freed_at first), then import order. A cooling IP is not
 *    eligible until its time is up.
 * 3. Dual-stack takes a v4 and a v6 on the same ENI (the pod's own v6 there
 *    first). Exclusive mode takes an ENI nobody holds, through its primary IPv4.
 *
 * Only ENIs of the pod's network are candidates (docs/podnetworks.md): an
 * ENI carries its network's subnet and security groups, '' being the default.
 * A fixed address (fixed-ips.ts) is never picked here: its own pod gets it
 * through pickFixed, and nobody else may; a new one is never a primary.
 *
 * Each step is one indexed query that stops at the first match (LIMIT 1), so
 * the cost does not grow with the pool: a CNI ADD holds the write lock briefly.
 */
import type { Db } from './db.ts';
import type { Family } from '@cello/records';
import type { EniMode, IpFamilySetting } from './types.ts';

export interface Chosen {
  eniId: string;
  ipv4?: string;
  ipv6?: string;
}

export interface PickOptions {
  /** Only ENIs of this pod network ('' the default network). */
  podNetwork: string;
  mode: EniMode;
  ipFamily: IpFamilySetting;
  /** "namespace/name" of the pod, or null when unknown. */
  pod: string | null;
  now: number;
  /** Never an ENI's primary address (a fixed address must be able to move to another ENI). */
  secondaryOnly?: boolean;
}

export function familiesOf(setting: IpFamilySetting): Family[] {
  return setting === 'dual' ? [4, 6] : setting === 'ipv6' ? [6] : [4];
}

/** IP `i` on ENI `e` may be handed out under the node's mode (free or cooling; see READY). */
const ELIGIBLE = `i.state IN ('free', 'cooling') AND e.pod_network = @podNetwork AND e.mode = @mode AND e.state = 'active'
  AND (e.mode = 'shared' OR (NOT EXISTS (SELECT 1 FROM allocations a WHERE a.eni_id = e.id)
                             AND (i.family = 6 OR i.ip = e.primary_ip)))
  AND NOT EXISTS (SELECT 1 FROM fixed_ips f WHERE f.ip = i.ip)
  AND (@secondaryOnly = 0 OR i.ip <> e.primary_ip)`;
const READY = `(i.state = 'free' OR i.cooling_until <= @now)`;
const MINE = `(@pod IS NOT NULL AND i.last_pod = @pod)`;
/** In dual-stack, a lead IP counts only if its ENI also has a v6 to pair it with. */
const HAS_PARTNER = `(@partner IS NULL OR EXISTS (
  SELECT 1 FROM ips j WHERE j.eni_id = i.eni_id AND j.family = @partner AND j.state IN ('free', 'cooling')
    AND (j.state = 'free' OR j.cooling_until <= @now OR (@pod IS NOT NULL AND j.last_pod = @pod))))`;
const FROM = 'FROM ips i JOIN enis e ON e.id = i.eni_id';

const STICKY_LEAD = `SELECT i.ip, i.eni_id AS eniId ${FROM}
  WHERE i.family = @lead AND ${ELIGIBLE} AND ${MINE} AND ${HAS_PARTNER}
  ORDER BY i.freed_at DESC LIMIT 1`;
const FRESH_LEAD = `SELECT i.ip, i.eni_id AS eniId ${FROM}
  WHERE i.family = @lead AND ${ELIGIBLE} AND ${READY} AND ${HAS_PARTNER}
  ORDER BY i.freed_at, i.rowid LIMIT 1`;
const PARTNER = `SELECT i.ip ${FROM}
  WHERE i.eni_id = @eni AND i.family = @partner AND ${ELIGIBLE} AND (${READY} OR ${MINE})
  ORDER BY ${MINE} DESC, i.freed_at, i.rowid LIMIT 1`;

/** The addresses for one allocation, or undefined when none can be had. */
export function pickAddresses(db: Db, opts: PickOptions): Chosen | undefined {
  const [lead, partner] = familiesOf(opts.ipFamily) as [Family, Family | undefined];
  const params = {
    podNetwork: opts.podNetwork,
    mode: opts.mode,
    pod: opts.pod,
    now: opts.now,
    lead,
    partner: partner ?? null,
    secondaryOnly: opts.secondaryOnly ? 1 : 0,
  };
  const first = db.get<{ ip: string; eniId: string }>(STICKY_LEAD, params) ?? db.get<{ ip: string; eniId: string }>(FRESH_LEAD, params);
  if (!first) return undefined;
  const chosen: Chosen = { eniId: first.eniId, [lead === 4 ? 'ipv4' : 'ipv6']: first.ip };
  if (partner !== undefined) {
    // HAS_PARTNER promised one, in the same transaction.
    chosen.ipv6 = db.get<{ ip: string }>(PARTNER, { ...params, eni: first.eniId })!.ip;
  }
  return chosen;
}
