/**
 * Turn untrusted JSON into the records the library works on. Every refusal is
 * an InputError naming the field, e.g. `allocation.eni.mac: must be a MAC like 02:00:00:00:00:01`.
 */
import { INTERFACE_NAME_RULE, interfaceNameProblem, netnsPathProblem } from '@cello/records';
import { InputError } from './errors.ts';
import { isIPv4, isIPv6, parseCidr } from './ip.ts';
import type { Bandwidth, EniRecord, LinkAllocation, TeardownTarget } from './types.ts';

type Obj = Record<string, unknown>;

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function object(v: unknown, field: string): Obj {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new InputError(field, 'must be a JSON object');
  return v as Obj;
}

function str(o: Obj, key: string, field: string, required = true): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') {
    if (required) throw new InputError(`${field}.${key}`, 'is required');
    return undefined;
  }
  if (typeof v !== 'string') throw new InputError(`${field}.${key}`, 'must be a string');
  return v;
}

function int(o: Obj, key: string, field: string, min: number, max: number, required: boolean): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (required) throw new InputError(`${field}.${key}`, 'is required');
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InputError(`${field}.${key}`, `must be a whole number from ${min} to ${max}`);
  }
  return v;
}

function ip(o: Obj, key: string, field: string, family: 4 | 6, required: boolean): string | undefined {
  const v = str(o, key, field, required);
  if (v === undefined) return undefined;
  if (!(family === 4 ? isIPv4(v) : isIPv6(v))) throw new InputError(`${field}.${key}`, `must be an IPv${family} address, got "${v}"`);
  return v;
}

function cidr(o: Obj, key: string, field: string, family: 4 | 6, required: boolean): string | undefined {
  const v = str(o, key, field, required);
  if (v === undefined) return undefined;
  if (parseCidr(v)?.family !== family)
    throw new InputError(`${field}.${key}`, `must be an IPv${family} CIDR like ${family === 4 ? '192.168.1.0/24' : 'fd00::/64'}`);
  return v;
}

function mode(o: Obj, field: string): 'shared' | 'exclusive' {
  const v = str(o, 'mode', field) as string;
  if (v !== 'shared' && v !== 'exclusive') throw new InputError(`${field}.mode`, `must be shared or exclusive, got "${v}"`);
  return v;
}

export function parseEni(raw: unknown, field = 'eni'): EniRecord {
  const o = object(raw, field);
  const mac = (str(o, 'mac', field) as string).toLowerCase();
  if (!MAC.test(mac)) throw new InputError(`${field}.mac`, 'must be a MAC like 02:00:00:00:00:01');
  const eni: EniRecord = {
    id: str(o, 'id', field, false) ?? mac,
    mac,
    mode: mode(o, field),
    subnetCidr: cidr(o, 'subnetCidr', field, 4, false) ?? '',
    gateway: ip(o, 'gateway', field, 4, false) ?? '',
    primaryIp: str(o, 'primaryIp', field, false) ?? '',
    routeTable: int(o, 'routeTable', field, 1, 0xfffffff0, false) ?? 0,
  };
  const device = str(o, 'device', field, false);
  if (device !== undefined) eni.device = deviceName(device, `${field}.device`);
  const mtu = int(o, 'mtu', field, 68, 65535, false);
  if (mtu !== undefined) eni.mtu = mtu;
  const subnetCidrV6 = cidr(o, 'subnetCidrV6', field, 6, false);
  const gatewayV6 = ip(o, 'gatewayV6', field, 6, false);
  if (subnetCidrV6) eni.subnetCidrV6 = subnetCidrV6;
  if (gatewayV6) eni.gatewayV6 = gatewayV6;
  if (Boolean(subnetCidrV6) !== Boolean(gatewayV6)) throw new InputError(`${field}.gatewayV6`, 'subnetCidrV6 and gatewayV6 go together');
  return eni;
}

/** Names and paths go into `ip -batch` lines: @cello/records' input rules keep them plain words. */
function deviceName(v: string, field: string): string {
  if (interfaceNameProblem(v)) throw new InputError(field, `must be an interface name: ${INTERFACE_NAME_RULE}, got ${JSON.stringify(v)}`);
  return v;
}

const ifnameOf = (o: Obj, field: string): string => deviceName(str(o, 'ifname', field, false) ?? 'eth0', `${field}.ifname`);

function netnsOf(o: Obj, field: string, required: boolean): string | undefined {
  const v = str(o, 'netns', field, required);
  const problem = v === undefined ? undefined : netnsPathProblem(v);
  if (problem) throw new InputError(`${field}.netns`, `must be a netns path: ${problem}`);
  return v;
}

/** The allocation `cello-ipam alloc` prints, checked for everything setup needs. */
export function parseAllocation(raw: unknown, field = 'allocation'): LinkAllocation {
  const o = object(raw, field);
  if (o.eni === null) throw new InputError(`${field}.eni`, 'is null: the ENI was forgotten while this allocation held it; release the allocation');
  const eni = parseEni(o.eni, `${field}.eni`);
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
  if (!ipv4 && !ipv6) throw new InputError(`${field}.ipv4`, 'an allocation needs ipv4, ipv6 or both');
  if (ipv4) {
    alloc.ipv4 = ipv4;
    if (!eni.subnetCidr) throw new InputError(`${field}.eni.subnetCidr`, 'is required for an IPv4 allocation');
    if (!eni.gateway) throw new InputError(`${field}.eni.gateway`, 'is required for an IPv4 allocation');
  }
  if (ipv6) {
    alloc.ipv6 = ipv6;
    if (!eni.subnetCidrV6) throw new InputError(`${field}.eni.subnetCidrV6`, 'is required for an IPv6 allocation');
  }
  if (alloc.mode === 'shared' && !eni.routeTable) throw new InputError(`${field}.eni.routeTable`, 'is required for a shared-mode allocation');
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
    const mac = str(e, 'mac', `${field}.eni`, false)?.toLowerCase();
    if (mac !== undefined && !MAC.test(mac)) throw new InputError(`${field}.eni.mac`, 'must be a MAC like 02:00:00:00:00:01');
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
    if (rate > 0 !== burst > 0) throw new InputError(`${field}.${dir}Rate`, `${dir}Rate and ${dir}Burst must be set together`);
    if (burst / 8 >= 2 ** 32 - 1) throw new InputError(`${field}.${dir}Burst`, 'must be under 4 GiB (34359738352 bits)');
    if (rate > 0 && rate < 8) throw new InputError(`${field}.${dir}Rate`, 'must be at least 8 bit/s');
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
    if (!isIPv4(ip) && !isIPv6(ip)) throw new InputError(`hostIps[${i}]`, `must be an IP address, got "${ip}"`);
  }
  for (const [i, c] of (opts.redirectToHostCidrs ?? []).entries()) {
    if (!parseCidr(c)) throw new InputError(`redirectToHostCidrs[${i}]`, `must be a CIDR, got "${c}"`);
  }
  if (opts.mtu !== undefined && (!Number.isInteger(opts.mtu) || opts.mtu < 68 || opts.mtu > 65535)) {
    throw new InputError('mtu', 'must be a whole number from 68 to 65535');
  }
  parseBandwidth(opts.bandwidth);
}
