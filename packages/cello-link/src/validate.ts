/**
 * Turn untrusted JSON into the records the library works on. Every refusal is
 * a UsageError (cli-kit's) naming the field, e.g. `allocation.eni.mac: "02:00" is not a MAC like 02:00:00:00:00:01 …`.
 * The ENI record is parsed by @cello/records, the same rules cello-ipam imports it by.
 */
import {
  type ImportEni,
  INTERFACE_NAME_RULE,
  interfaceNameProblem,
  isIPv4,
  isIPv6,
  MAC,
  netnsPathProblem,
  parseCidr,
  parseEniRecord,
  parseImportEni,
} from '@cello/records';
import { inputError } from './errors.ts';
import type { Bandwidth, LinkAllocation, TeardownTarget } from './types.ts';

type Obj = Record<string, unknown>;

function object(v: unknown, field: string): Obj {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw inputError(field, 'must be a JSON object');
  return v as Obj;
}

function str(o: Obj, key: string, field: string, required = true): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') {
    if (required) throw inputError(`${field}.${key}`, 'is required');
    return undefined;
  }
  if (typeof v !== 'string') throw inputError(`${field}.${key}`, 'must be a string');
  return v;
}

function int(o: Obj, key: string, field: string, min: number, max: number, required: boolean): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (required) throw inputError(`${field}.${key}`, 'is required');
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw inputError(`${field}.${key}`, `must be a whole number from ${min} to ${max}`);
  }
  return v;
}

function ip(o: Obj, key: string, field: string, family: 4 | 6, required: boolean): string | undefined {
  const v = str(o, key, field, required);
  if (v === undefined) return undefined;
  if (!(family === 4 ? isIPv4(v) : isIPv6(v))) throw inputError(`${field}.${key}`, `must be an IPv${family} address, got "${v}"`);
  return v;
}

function mode(o: Obj, field: string): 'shared' | 'exclusive' {
  const v = str(o, 'mode', field) as string;
  if (v !== 'shared' && v !== 'exclusive') throw inputError(`${field}.mode`, `must be shared or exclusive, got "${v}"`);
  return v;
}

/** An ENI as `eni-up` reads it: an Import document's entry (routeTable may be absent; veth needs it, ipvlan and exclusive do not). */
export const parseEni = (raw: unknown, field = 'eni'): ImportEni => parseImportEni(raw, field);

/** Names and paths go into `ip -batch` lines: @cello/records' input rules keep them plain words. */
function deviceName(v: string, field: string): string {
  if (interfaceNameProblem(v)) throw inputError(field, `must be an interface name: ${INTERFACE_NAME_RULE}, got ${JSON.stringify(v)}`);
  return v;
}

const ifnameOf = (o: Obj, field: string): string => deviceName(str(o, 'ifname', field, false) ?? 'eth0', `${field}.ifname`);

function netnsOf(o: Obj, field: string, required: boolean): string | undefined {
  const v = str(o, 'netns', field, required);
  const problem = v === undefined ? undefined : netnsPathProblem(v);
  if (problem) throw inputError(`${field}.netns`, `must be a netns path: ${problem}`);
  return v;
}

/** The allocation `cello-ipam alloc` prints, checked for everything setup needs. */
export function parseAllocation(raw: unknown, field = 'allocation'): LinkAllocation {
  const o = object(raw, field);
  if (o.eni === null) throw inputError(`${field}.eni`, 'is null: the ENI was forgotten while this allocation held it; release the allocation');
  const eni = parseEniRecord(o.eni, `${field}.eni`);
  const alloc: LinkAllocation = {
    containerId: str(o, 'containerId', field) as string,
    ifname: ifnameOf(o, field),
    netns: netnsOf(o, field, true) as string,
    mode: mode(o, field),
    eni,
  };
  for (const key of ['network', 'podNamespace', 'podName', 'allocatedAt'] as const) {
    const v = str(o, key, field, false);
    if (v !== undefined) alloc[key] = v;
  }
  const ipv4 = ip(o, 'ipv4', field, 4, false);
  const ipv6 = ip(o, 'ipv6', field, 6, false);
  if (!ipv4 && !ipv6) throw inputError(`${field}.ipv4`, 'an allocation needs ipv4, ipv6 or both');
  if (ipv4) alloc.ipv4 = ipv4;
  if (ipv6) {
    alloc.ipv6 = ipv6;
    if (!eni.subnetCidrV6) throw inputError(`${field}.eni.subnetCidrV6`, 'is required for an IPv6 allocation');
  }
  return alloc;
}

/** What teardown needs: containerId and ifname at least; the rest makes it thorough. */
export function parseTarget(raw: unknown, field = 'allocation'): TeardownTarget {
  const o = object(raw, field);
  const target: TeardownTarget = { containerId: str(o, 'containerId', field) as string, ifname: ifnameOf(o, field) };
  const netns = netnsOf(o, field, false);
  if (netns) target.netns = netns;
  if (o.mode !== undefined) target.mode = mode(o, field);
  const ipv4 = ip(o, 'ipv4', field, 4, false);
  const ipv6 = ip(o, 'ipv6', field, 6, false);
  if (ipv4) target.ipv4 = ipv4;
  if (ipv6) target.ipv6 = ipv6;
  if (o.eni && typeof o.eni === 'object') {
    const e = o.eni as Obj;
    const mac = str(e, 'mac', `${field}.eni`, false);
    if (mac !== undefined && !MAC.test(mac))
      throw inputError(`${field}.eni.mac`, `${JSON.stringify(mac)} is not a MAC like 02:00:00:00:00:01 (as ip prints it)`);
    const device = str(e, 'device', `${field}.eni`, false);
    target.eni = { mac, device: device === undefined ? undefined : deviceName(device, `${field}.eni.device`) };
  }
  return target;
}

/** CNI's bandwidth capability: each rate with its burst, bursts under 4 GiB (the reference plugin's rules). */
export function parseBandwidth(raw: unknown, field = 'bandwidth'): Bandwidth | undefined {
  if (raw === undefined || raw === null) return undefined;
  const o = object(raw, field);
  const bw: Bandwidth = {};
  for (const dir of ['ingress', 'egress'] as const) {
    const rate = int(o, `${dir}Rate`, field, 0, Number.MAX_SAFE_INTEGER, false) ?? 0;
    const burst = int(o, `${dir}Burst`, field, 0, Number.MAX_SAFE_INTEGER, false) ?? 0;
    if (rate > 0 !== burst > 0) throw inputError(`${field}.${dir}Rate`, `${dir}Rate and ${dir}Burst must be set together`);
    if (burst / 8 >= 2 ** 32 - 1) throw inputError(`${field}.${dir}Burst`, 'must be under 4 GiB (34359738352 bits)');
    if (rate > 0 && rate < 8) throw inputError(`${field}.${dir}Rate`, 'must be at least 8 bit/s');
    if (rate > 0) {
      bw[`${dir}Rate`] = rate;
      bw[`${dir}Burst`] = burst;
    }
  }
  return bw.ingressRate || bw.egressRate ? bw : undefined;
}

/** Library options that end up in kernel commands: node addresses, CIDRs, MTU, bandwidth. */
export function checkOptions(opts: { hostIps?: string[]; redirectToHostCidrs?: string[]; mtu?: number; bandwidth?: unknown }): void {
  for (const [i, ip] of (opts.hostIps ?? []).entries()) {
    if (!isIPv4(ip) && !isIPv6(ip)) throw inputError(`hostIps[${i}]`, `must be an IP address, got "${ip}"`);
  }
  for (const [i, c] of (opts.redirectToHostCidrs ?? []).entries()) {
    if (!parseCidr(c)) throw inputError(`redirectToHostCidrs[${i}]`, `must be a CIDR, got "${c}"`);
  }
  if (opts.mtu !== undefined && (!Number.isInteger(opts.mtu) || opts.mtu < 68 || opts.mtu > 65535)) {
    throw inputError('mtu', 'must be a whole number from 68 to 65535');
  }
  parseBandwidth(opts.bandwidth);
}
