/**
 * Checking what comes in (documents on stdin, library requests) before it
 * reaches the database. Every error names the field, e.g.
 * `enis[0].ips[2]: "10.9.0.5" is outside subnetCidr 192.168.1.0/24`.
 */
import { InvalidInputError } from './errors.ts';
import { canonicalIp, canonicalMac, cidrContains, type Family, familyOf, parseCidr } from './ip.ts';
import type { AllocRequest, AllocationKey, ImportDoc, ImportEni, SurplusDoc, SurplusEni } from './types.ts';

type Obj = Record<string, unknown>;

const fail = (field: string, problem: string): never => {
  throw new InvalidInputError(`${field}: ${problem}`);
};

function object(v: unknown, field: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, 'must be a JSON object');
  return v as Obj;
}

function array(v: unknown, field: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(field, 'must be an array');
  return v as unknown[];
}

function text(o: Obj, key: string, field: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') fail(`${field}.${key}`, 'is required (a non-empty string)');
  return v as string;
}

function optionalText(o: Obj, key: string, field: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') fail(`${field}.${key}`, 'must be a string');
  return v as string;
}

function optionalInt(o: Obj, key: string, field: string, min: number, max: number): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(`${field}.${key}`, `must be a whole number from ${min} to ${max}`);
  return v as number;
}

function ip(v: unknown, field: string, family: Family, cidr?: string): string {
  if (typeof v !== 'string' || familyOf(v) !== family) fail(field, `${JSON.stringify(v)} is not an IPv${family} address`);
  const canon = canonicalIp(v as string);
  if (cidr && !cidrContains(cidr, canon)) fail(field, `${JSON.stringify(v)} is outside ${cidr}`);
  return canon;
}

function cidr(v: unknown, field: string, family: Family): string {
  const net = typeof v === 'string' ? parseCidr(v) : undefined;
  if (!net || net.family !== family) fail(field, `${JSON.stringify(v)} is not an IPv${family} CIDR`);
  return v as string;
}

function ips(o: Obj, key: 'ips' | 'ipv6s', field: string, family: Family, within?: string): string[] {
  return array(o[key], `${field}.${key}`).map((v, i) => ip(v, `${field}.${key}[${i}]`, family, within));
}

function importEni(v: unknown, field: string): ImportEni {
  const o = object(v, field);
  const mac = canonicalMac(text(o, 'mac', field)) ?? fail(`${field}.mac`, `${JSON.stringify(o.mac)} is not a MAC address`);
  const mode = text(o, 'mode', field);
  if (mode !== 'shared' && mode !== 'exclusive') fail(`${field}.mode`, `must be shared or exclusive, got ${JSON.stringify(mode)}`);
  const subnetCidr = cidr(o.subnetCidr, `${field}.subnetCidr`, 4);
  const subnetCidrV6 = o.subnetCidrV6 === undefined ? undefined : cidr(o.subnetCidrV6, `${field}.subnetCidrV6`, 6);
  const ipv6s = ips(o, 'ipv6s', field, 6, subnetCidrV6);
  if (ipv6s.length && !subnetCidrV6) fail(`${field}.subnetCidrV6`, 'is required when ipv6s are given');
  return {
    id: text(o, 'id', field),
    mac: mac!,
    device: optionalText(o, 'device', field),
    mode: mode as ImportEni['mode'],
    subnetId: optionalText(o, 'subnetId', field),
    subnetCidr,
    gateway: ip(o.gateway, `${field}.gateway`, 4),
    subnetCidrV6,
    gatewayV6: o.gatewayV6 === undefined ? undefined : ip(o.gatewayV6, `${field}.gatewayV6`, 6),
    primaryIp: ip(o.primaryIp, `${field}.primaryIp`, 4, subnetCidr),
    mtu: optionalInt(o, 'mtu', field, 68, 65535),
    routeTable: optionalInt(o, 'routeTable', field, 100, 2 ** 31 - 1),
    ips: ips(o, 'ips', field, 4, subnetCidr),
    ipv6s,
  };
}

/** An Import document (architecture.md "Import"). */
export function importDoc(doc: unknown): ImportDoc {
  const o = object(doc, 'import document');
  if (!Array.isArray(o.enis)) fail('enis', 'is required (an array of ENI records)');
  const enis = (o.enis as unknown[]).map((e, i) => importEni(e, `enis[${i}]`));
  const seen = new Set<string>();
  enis.forEach((e, i) => {
    if (seen.has(e.id)) fail(`enis[${i}].id`, `${e.id} appears twice in the document`);
    seen.add(e.id);
  });
  return { enis };
}

/** A Surplus-shaped document, as `forget` reads it. */
export function surplusDoc(doc: unknown): SurplusDoc {
  const o = object(doc, 'forget document');
  if (!Array.isArray(o.enis)) fail('enis', 'is required (an array of {id, ips, ipv6s, whole})');
  const enis = (o.enis as unknown[]).map((v, i): SurplusEni => {
    const field = `enis[${i}]`;
    const e = object(v, field);
    if (e.whole !== undefined && typeof e.whole !== 'boolean') fail(`${field}.whole`, 'must be true or false');
    return { id: text(e, 'id', field), ips: ips(e, 'ips', field, 4), ipv6s: ips(e, 'ipv6s', field, 6), whole: e.whole === true };
  });
  return { enis };
}

export function allocationKey(k: AllocationKey): AllocationKey {
  const o = object(k, 'request');
  return { network: text(o, 'network', 'request'), containerId: text(o, 'containerId', 'request'), ifname: text(o, 'ifname', 'request') };
}

export function allocRequest(r: AllocRequest): Required<AllocRequest> {
  const o = r as unknown as Obj;
  return {
    ...allocationKey(r),
    podNamespace: optionalText(o, 'podNamespace', 'request') ?? '',
    podName: optionalText(o, 'podName', 'request') ?? '',
    netns: optionalText(o, 'netns', 'request') ?? '',
  };
}
