/**
 * The one parser for each record that more than one tool reads: an EniRecord
 * (cello-ipam imports it, cello-link programs it), an Import document
 * (cello-ipam import, cello-link eni-up), a Surplus document (cello-ipam
 * forget, cello-eni unassign) and the key of an allocation. One parser, so a record one tool accepts is a
 * record the next one accepts.
 *
 * Each rule is the strictest that is still correct, because these fields end
 * up in kernel commands (docs/architecture.md, "The JSON records between the
 * tools", lists them):
 * - `mac` as iproute2 prints it: six lower-case hex pairs joined by `:`;
 * - `subnetCidr`/`subnetCidrV6` a network address (`ip route` refuses host
 *   bits), and the gateways and the primary IP inside their subnet;
 * - `device` an interface name by @cello/records' input rule;
 * - `routeTable` a table the kernel lets cello own: 100 (cello-ipam's floor)
 *   to 2³²−1, not 253–255 (the kernel's default, main and local tables);
 * - `mtu` 68 (IPv4's minimum) to 65535;
 * - `podNetwork`, when given, a Kubernetes object name ('' is the default network).
 *
 * A refusal is a RecordError naming the field (`enis[0].mac: "zz" is not a
 * MAC …`), which is a UsageError: the one bad-input type, as every tool reports it.
 */
import { UsageError } from './errors.ts';
import type { AllocationKey, EniRecord, ImportDoc, ImportEni, SurplusDoc, SurplusEni } from './index.ts';
import { interfaceNameProblem, INTERFACE_NAME_RULE, podNetworkNameProblem } from './inputs.ts';
import { canonicalIp, cidrContains, type Family, familyOf, networkOf, parseCidr } from './ip.ts';

/** A record that breaks a rule: `field` is its path (`enis[0].mac`), `problem` what is wrong. Bad input like any other (a UsageError). */
export class RecordError extends UsageError {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/** A MAC as iproute2 prints it. */
export const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** The route tables cello may own: from cello-ipam's floor to the kernel's u32, minus the kernel's own. */
export const ROUTE_TABLE = { min: 100, max: 2 ** 32 - 1, reserved: [253, 254, 255] } as const;

type Obj = Record<string, unknown>;

const fail = (field: string, problem: string): never => {
  throw new RecordError(field, problem);
};

function object(v: unknown, field: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, 'must be a JSON object');
  return v as Obj;
}

function list(v: unknown, field: string): unknown[] {
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

function ip(v: unknown, field: string, family: Family, within?: string): string {
  if (typeof v !== 'string' || familyOf(v) !== family) fail(field, `${JSON.stringify(v)} is not an IPv${family} address`);
  const canon = canonicalIp(v as string);
  if (within && !cidrContains(within, canon)) fail(field, `${JSON.stringify(v)} is outside ${within}`);
  return canon;
}

/** A subnet: its network address (no host bits), canonical. */
function subnet(v: unknown, field: string, family: Family): string {
  const net = typeof v === 'string' ? parseCidr(v) : undefined;
  if (!net || net.family !== family)
    return fail(field, `${JSON.stringify(v)} is not an IPv${family} CIDR like ${family === 4 ? '192.168.1.0/24' : 'fd00::/64'}`);
  const text = `${net.ip}/${net.prefix}`;
  const network = networkOf(text);
  if (network !== text) fail(field, `${JSON.stringify(v)} has host bits set: write the subnet as ${network}`);
  return text;
}

function routeTable(o: Obj, field: string): number | undefined {
  const { min, max, reserved } = ROUTE_TABLE;
  const v = o.routeTable;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max || (reserved as readonly number[]).includes(v)) {
    fail(
      `${field}.routeTable`,
      `must be a whole number from ${min} to ${max}, other than ${reserved.join(', ')} (the kernel's default, main and local tables)`,
    );
  }
  return v as number;
}

function ips(o: Obj, key: 'ips' | 'ipv6s', field: string, family: Family, within?: string): string[] {
  return list(o[key], `${field}.${key}`).map((v, i) => ip(v, `${field}.${key}[${i}]`, family, within));
}

/** The fields every ENI record has, checked; routeTable is left to the caller. */
function eniFields(o: Obj, field: string): Omit<EniRecord, 'routeTable'> {
  const mac = text(o, 'mac', field);
  if (!MAC.test(mac)) fail(`${field}.mac`, `${JSON.stringify(mac)} is not a MAC like 02:00:00:00:00:01 (lower-case, colon separated, as ip prints it)`);
  const mode = text(o, 'mode', field);
  if (mode !== 'shared' && mode !== 'exclusive') fail(`${field}.mode`, `must be shared or exclusive, got ${JSON.stringify(mode)}`);
  const device = optionalText(o, 'device', field);
  if (device !== undefined && interfaceNameProblem(device)) {
    fail(`${field}.device`, `must be an interface name: ${INTERFACE_NAME_RULE}, got ${JSON.stringify(device)}`);
  }
  const subnetCidr = subnet(o.subnetCidr, `${field}.subnetCidr`, 4);
  const eni: Omit<EniRecord, 'routeTable'> = {
    id: text(o, 'id', field),
    mac,
    mode: mode as EniRecord['mode'],
    subnetCidr,
    gateway: ip(o.gateway, `${field}.gateway`, 4, subnetCidr),
    primaryIp: ip(o.primaryIp, `${field}.primaryIp`, 4, subnetCidr),
  };
  if (device !== undefined) eni.device = device;
  const subnetId = optionalText(o, 'subnetId', field);
  if (subnetId !== undefined) eni.subnetId = subnetId;
  const mtu = optionalInt(o, 'mtu', field, 68, 65535);
  if (mtu !== undefined) eni.mtu = mtu;
  const podNetwork = optionalText(o, 'podNetwork', field);
  if (podNetwork !== undefined) {
    const problem = podNetworkNameProblem(podNetwork);
    if (problem) fail(`${field}.podNetwork`, problem);
    eni.podNetwork = podNetwork;
  }
  if ((o.subnetCidrV6 === undefined) !== (o.gatewayV6 === undefined)) fail(`${field}.gatewayV6`, 'subnetCidrV6 and gatewayV6 go together');
  if (o.subnetCidrV6 !== undefined) {
    eni.subnetCidrV6 = subnet(o.subnetCidrV6, `${field}.subnetCidrV6`, 6);
    eni.gatewayV6 = ip(o.gatewayV6, `${field}.gatewayV6`, 6, eni.subnetCidrV6);
  }
  return eni;
}

/** An EniRecord (architecture.md "EniRecord"): every field checked, routeTable required. */
export function parseEniRecord(raw: unknown, field = 'eni'): EniRecord {
  const o = object(raw, field);
  const eni = eniFields(o, field);
  const table = routeTable(o, field) ?? fail(`${field}.routeTable`, 'is required (cello-ipam assigns it on import)');
  return { ...eni, routeTable: table };
}

/** One ENI of an Import document: an EniRecord whose routeTable may be absent, and the IPs the cloud gave it. */
export function parseImportEni(raw: unknown, field = 'eni'): ImportEni {
  const o = object(raw, field);
  const eni: ImportEni = eniFields(o, field);
  const table = routeTable(o, field);
  if (table !== undefined) eni.routeTable = table;
  eni.ips = ips(o, 'ips', field, 4, eni.subnetCidr);
  const ipv6s = ips(o, 'ipv6s', field, 6, eni.subnetCidrV6);
  if (ipv6s.length && !eni.subnetCidrV6) fail(`${field}.subnetCidrV6`, 'is required when ipv6s are given');
  eni.ipv6s = ipv6s;
  return eni;
}

/** An Import document (architecture.md "Import"): each ENI once. */
export function parseImportDoc(raw: unknown, field = 'import document'): ImportDoc {
  const o = object(raw, field);
  if (!Array.isArray(o.enis)) fail('enis', 'is required (an array of ENI records)');
  const enis = (o.enis as unknown[]).map((e, i) => parseImportEni(e, `enis[${i}]`));
  const seen = new Set<string>();
  enis.forEach((e, i) => {
    if (seen.has(e.id)) fail(`enis[${i}].id`, `${e.id} appears twice in the document`);
    seen.add(e.id);
  });
  return { enis };
}

/** A Surplus document (architecture.md "Surplus"): `ips`/`ipv6s` default to none, `whole` to false. */
export function parseSurplusDoc(raw: unknown, field = 'surplus document'): SurplusDoc {
  const o = object(raw, field);
  if (!Array.isArray(o.enis)) fail('enis', 'is required (an array of {id, ips, ipv6s, whole})');
  const enis = (o.enis as unknown[]).map((v, i): SurplusEni => {
    const f = `enis[${i}]`;
    const e = object(v, f);
    if (e.whole !== undefined && typeof e.whole !== 'boolean') fail(`${f}.whole`, 'must be true or false');
    return { id: text(e, 'id', f), ips: ips(e, 'ips', f, 4), ipv6s: ips(e, 'ipv6s', f, 6), whole: e.whole === true };
  });
  return { enis };
}

/** The CNI triple that keys an allocation: network, containerId and ifname, each a non-empty string. */
export function parseAllocationKey(raw: unknown, field = 'request'): AllocationKey {
  const o = object(raw, field);
  return { network: text(o, 'network', field), containerId: text(o, 'containerId', field), ifname: text(o, 'ifname', field) };
}
