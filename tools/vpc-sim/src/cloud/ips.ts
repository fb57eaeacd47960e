/**
 * Private addresses on ENIs: assign (a count, or an explicit list) and
 * unassign, IPv4 and IPv6. Allowed while the ENI is Available or InUse. An
 * address of an attached ENI is routed to its device before the call returns,
 * and withdrawn on unassign; either way the security groups that admit the
 * ENI's groups learn of it (a source group's members are its addresses).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { normalizeIp } from '../util/net.ts';
import type { Cloud } from './cloud.ts';
import { CloudError, eniStatus, invalid } from './errors.ts';
import type { IpPool } from './ip-pool.ts';
import { checkIpLimits } from './limits.ts';
import type { Eni } from './types.ts';

type Family = 4 | 6;
const CODES = {
  4: { prefix: 'InvalidPrivateIp', word: 'private IPv4 address' },
  6: { prefix: 'InvalidIpv6', word: 'IPv6 address' },
} as const;

function parseIps(list: string[], family: Family): string[] {
  const out: string[] = [];
  for (const raw of list) {
    const ok = family === 4 ? isIPv4(raw) : isIPv6(raw);
    const ip = ok ? normalizeIp(raw) : undefined;
    if (!ip) throw new CloudError(`${CODES[family].prefix}.Malformed`, `${JSON.stringify(raw)} is not a valid ${CODES[family].word}.`);
    if (!out.includes(ip)) out.push(ip);
  }
  return out;
}

/** Check explicit addresses are free in the pool (nothing is taken yet). */
function checkFree(pool: IpPool, ips: string[], family: Family): void {
  for (const ip of ips) {
    if (!pool.isAssignable(ip)) throw new CloudError(`${CODES[family].prefix}.NotInSubnet`, `${ip} is not an assignable address of subnet ${pool.cidr.text}.`);
    if (pool.isUsed(ip)) throw new CloudError(`${CODES[family].prefix}.InUse`, `${ip} is already in use.`);
  }
}

function insufficient(pool: IpPool, wanted: number): CloudError {
  return new CloudError('InsufficientIpInSubnet', `The subnet ${pool.cidr.text} has ${pool.available} free addresses; ${wanted} were asked for.`);
}

function v6Pool(cloud: Cloud, subnetId: string): IpPool {
  const pool = cloud.pools.get(subnetId)!.v6;
  if (!pool) throw new CloudError('InvalidSubnet.DisableIpv6', `The subnet ${subnetId} has no IPv6 CIDR.`);
  return pool;
}

export interface AddressRequest {
  primaryIp?: string;
  ips?: string[];
  count?: number;
  ipv6s?: string[];
  ipv6Count?: number;
  /** Most secondary IPv4s (and IPv6s) allowed. */
  max: number;
}

/** Reserve a new ENI's addresses in its subnet, all or nothing. */
export function takeAddresses(cloud: Cloud, subnetId: string, req: AddressRequest): { primaryIp: string; v4: string[]; v6: string[] } {
  const pools = cloud.pools.get(subnetId)!;
  if (req.ips?.length && req.count !== undefined)
    throw invalid('SecondaryPrivateIpAddressCount', 'give either PrivateIpAddress.N or SecondaryPrivateIpAddressCount, not both');
  if (req.ipv6s?.length && req.ipv6Count !== undefined) throw invalid('Ipv6AddressCount', 'give either Ipv6Address.N or Ipv6AddressCount, not both');
  const primary = req.primaryIp !== undefined ? parseIps([req.primaryIp], 4) : [];
  const v4 = parseIps(req.ips ?? [], 4).filter((ip) => !primary.includes(ip));
  const v4Count = req.count ?? 0;
  if (v4.length + v4Count > req.max) {
    throw new CloudError('LimitExceeded.PrivateIpsPerEni', `A new network interface holds at most ${req.max} secondary private IPv4 addresses.`);
  }
  const wants6 = (req.ipv6s?.length ?? 0) > 0 || (req.ipv6Count ?? 0) > 0;
  const pool6 = wants6 ? v6Pool(cloud, subnetId) : undefined;
  const v6 = parseIps(req.ipv6s ?? [], 6);
  const v6Count = req.ipv6Count ?? 0;
  if (v6.length + v6Count > req.max) {
    throw new CloudError('LimitExceeded.Ipv6AddressesPerEni', `A new network interface holds at most ${req.max} IPv6 addresses.`);
  }

  checkFree(pools.v4, [...primary, ...v4], 4);
  if (pool6) checkFree(pool6, v6, 6);
  const newV4 = (primary.length ? 0 : 1) + v4Count;
  if (pools.v4.available < BigInt(primary.length + v4.length + newV4)) throw insufficient(pools.v4, primary.length + v4.length + newV4);
  if (pool6 && pool6.available < BigInt(v6.length + v6Count)) throw insufficient(pool6, v6.length + v6Count);

  for (const ip of [...primary, ...v4]) pools.v4.take(ip);
  const fresh = pools.v4.allocate(newV4)!;
  const primaryIp = primary[0] ?? fresh.shift()!;
  for (const ip of v6) pool6!.take(ip);
  const fresh6 = pool6 && v6Count ? pool6.allocate(v6Count)! : [];
  return { primaryIp, v4: [...v4, ...fresh], v6: [...v6, ...fresh6] };
}

function checkAssignable(eni: Eni) {
  if (eni.status !== 'Available' && eni.status !== 'InUse') throw eniStatus(eni.id, eni.status, 'Available or InUse');
}

/** Assign secondary addresses (explicit or a count) to an ENI; returns the new ones. */
export async function assignIps(cloud: Cloud, id: string, family: Family, req: { ips?: string[]; count?: number }): Promise<string[]> {
  const eni = cloud.eni(id);
  checkAssignable(eni);
  const pool = family === 4 ? cloud.pools.get(eni.subnetId)!.v4 : v6Pool(cloud, eni.subnetId);
  const explicit = parseIps(req.ips ?? [], family);
  const count = explicit.length || req.count || 0;
  checkIpLimits(cloud, eni, family === 4 ? count : 0, family === 6 ? count : 0);
  checkFree(pool, explicit, family);
  let added: string[];
  if (explicit.length) {
    added = explicit.map((ip) => pool.take(ip));
  } else {
    const got = pool.allocate(count);
    if (!got) throw insufficient(pool, count);
    added = got;
  }
  (family === 4 ? eni.secondaryIps : eni.ipv6s).push(...added);
  cloud.touch(eni);
  if (family === 4 && eni.status === 'InUse') for (const ip of added) cloud.metaShowIp(eni.id, ip);
  if (eni.port) await cloud.network((dp) => dp.route(eni, added));
  else if (family === 4) await cloud.securityGroupsChanged();
  return added;
}

/** Take addresses back from an ENI. Every address must be a secondary address of this ENI. */
export async function unassignIps(cloud: Cloud, id: string, family: Family, ips: string[]): Promise<void> {
  const eni = cloud.eni(id);
  checkAssignable(eni);
  const list = parseIps(ips, family);
  const held = family === 4 ? eni.secondaryIps : eni.ipv6s;
  for (const ip of list) {
    if (family === 4 && ip === eni.primaryIp) throw invalid('PrivateIpAddress', `${ip} is the primary address of ${id} and cannot be unassigned`);
    if (!held.includes(ip)) throw new CloudError(`${CODES[family].prefix}.Malformed`, `${ip} is not assigned to ${id}.`);
  }
  const pools = cloud.pools.get(eni.subnetId)!;
  for (const ip of list) {
    held.splice(held.indexOf(ip), 1);
    (family === 4 ? pools.v4 : pools.v6!).release(ip);
    if (family === 4) cloud.metaHideIp(eni.id, ip);
  }
  cloud.touch(eni);
  if (eni.port) await cloud.network((dp) => dp.unroute(eni, list));
  else if (family === 4) await cloud.securityGroupsChanged();
}
