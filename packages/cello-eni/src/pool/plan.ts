/**
 * How to add `toAdd` units in as few calls as the API allows (pure):
 * 1. fill ENIs the node already has, fullest first, with one assign call per
 *    ENI and family carrying the whole count;
 * 2. attach spare ENIs of ours left Available by a crash (they already hold IPs);
 * 3. create new ENIs, each with its IPs in the create call
 *    (SecondaryPrivateIpAddressCount, Ipv6AddressCount; IPv6s past 49 are
 *    assigned after the attach, lifecycle/eni.ts createAndAttach).
 *
 * Calls for a fresh shared node whose target T fits in k = ⌈T / P⌉ ENIs of P
 * IPs: k CreateNetworkInterface + k AttachNetworkInterface, no assign.
 */
import type { EniStats } from '@cello/cello-ipam';
import type { CelloConfig } from '../config/resolve.ts';
import type { CloudEni } from '../openapi/api.ts';
import { families, unitsHeld } from './targets.ts';

/** IPv4s one create call can give an ENI, its primary included: 1 + 49 secondaries (the documented limit of an unattached ENI). */
export const MAX_IPS_PER_CREATE = 50;

export interface Assignment {
  eniId: string;
  v4: number;
  v6: number;
  units: number;
}

export interface NewEni {
  /** IPv4s the ENI is created with, its primary included. */
  ipv4Count: number;
  ipv6Count: number;
  units: number;
}

export interface FillPlan {
  assign: Assignment[];
  adopt: Array<{ eni: CloudEni; units: number }>;
  create: NewEni[];
  /** Units the plan adds. */
  units: number;
}

export interface PlanInput {
  toAdd: number;
  enis: EniStats[];
  /** The subnet of each known ENI and whether it has IPv6 (from cello-ipam's records). */
  eniSubnet: Map<string, { subnetId?: string; ipv6: boolean }>;
  spares: CloudEni[];
  ipsPerEni: number;
  /** ENIs Cello may still attach: slots minus every Cello ENI attached now (any mode). */
  freeSlots: number;
  heldOff: (subnetId: string | undefined) => boolean;
  cfg: Pick<CelloConfig, 'networkMode' | 'ipFamily' | 'subnets'>;
}

/** Units a spare ENI brings, or 0 when it cannot be used as it is (too many IPs, wrong family, other subnet). */
export function spareUnits(eni: CloudEni, ipsPerEni: number, cfg: PlanInput['cfg']): number {
  if (!cfg.subnets.includes(eni.subnetId)) return 0;
  const v4 = 1 + eni.ips.length;
  const v6 = eni.ipv6s.length;
  if (v4 > ipsPerEni || v6 > ipsPerEni) return 0;
  const fams = families(cfg.ipFamily);
  if (cfg.networkMode === 'eni_exclusive') return fams.includes('ipv6') && v6 === 0 ? 0 : 1;
  return Math.min(...fams.map((f) => (f === 'ipv4' ? v4 : v6)));
}

export function planFill(p: PlanInput): FillPlan {
  const plan: FillPlan = { assign: [], adopt: [], create: [], units: 0 };
  let remaining = p.toAdd;
  const fams = families(p.cfg.ipFamily);
  const exclusive = p.cfg.networkMode === 'eni_exclusive';

  if (!exclusive) {
    const candidates = p.enis
      .map((e) => ({ e, units: unitsHeld(e, p.cfg), where: p.eniSubnet.get(e.id) }))
      .filter(({ e, where }) => e.mode === 'shared' && !e.releasing && !p.heldOff(where?.subnetId) && (!fams.includes('ipv6') || where?.ipv6))
      .sort((a, b) => b.units - a.units || a.e.id.localeCompare(b.e.id));
    for (const { e, units } of candidates) {
      if (remaining <= 0) break;
      // The cloud counts every IP on the ENI, releasing ones too; a unit needs one of each family.
      const room = Math.min(...fams.map((f) => p.ipsPerEni - e[f].releasing - units));
      const add = Math.min(room, remaining);
      if (add <= 0) continue;
      const need = (f: 'ipv4' | 'ipv6') => (fams.includes(f) ? Math.max(0, units + add - (e[f].total - e[f].releasing)) : 0);
      plan.assign.push({ eniId: e.id, v4: need('ipv4'), v6: need('ipv6'), units: add });
      remaining -= add;
    }
  }

  let slots = p.freeSlots;
  for (const eni of p.spares) {
    if (remaining <= 0 || slots <= 0) break;
    const units = spareUnits(eni, p.ipsPerEni, p.cfg);
    if (units <= 0 || p.heldOff(eni.subnetId)) continue;
    plan.adopt.push({ eni, units });
    remaining -= units;
    slots--;
  }

  const perEni = exclusive ? 1 : Math.min(p.ipsPerEni, MAX_IPS_PER_CREATE);
  while (remaining > 0 && slots > 0) {
    const units = Math.min(remaining, perEni);
    plan.create.push({
      ipv4Count: fams.includes('ipv4') && !exclusive ? units : 1,
      ipv6Count: fams.includes('ipv6') ? units : 0,
      units,
    });
    remaining -= units;
    slots--;
  }
  plan.units = p.toAdd - Math.max(0, remaining);
  return plan;
}
