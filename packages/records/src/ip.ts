/**
 * The one place for address text: family, canonical spelling, CIDR parsing
 * and membership, a subnet's first host, and how `ip` prints a route
 * destination. cello-ipam keys its store by the canonical spelling, cello-link
 * compares with what iproute2 prints, cello-eni derives gateways: one
 * spelling for all three.
 *
 * Hand-written rather than node:net's isIPv6, whose large regex costs ~3 ms
 * to compile and ~0.7 ms a call while cold — about 10 ms of every CNI ADD
 * (node:net stays off the CNI path). IPv6 text goes through the WHATWG URL
 * parser, which validates it and prints it in RFC 5952 form.
 */

export type Family = 4 | 6;

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export const isIPv4 = (ip: string): boolean => V4.test(ip);

/** The RFC 5952 text of an IPv6 address (compressed, lower-case); undefined when it is not one. */
function parseV6(ip: string): string | undefined {
  if (!ip.includes(':') || /[^0-9a-fA-F:.]/.test(ip)) return undefined;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

export const isIPv6 = (ip: string): boolean => parseV6(ip) !== undefined;

/** 4, 6, or undefined when `text` is not a plain IP address (no prefix length). */
export function familyOf(text: string): Family | undefined {
  if (isIPv4(text)) return 4;
  if (isIPv6(text)) return 6;
  return undefined;
}

/** The canonical text of an IP: IPv4 as is, IPv6 compressed and lower-case (RFC 5952, as `ip` prints it). */
export function canonicalIp(ip: string): string {
  return parseV6(ip) ?? ip;
}

export interface Cidr {
  /** The address part, canonical. */
  ip: string;
  prefix: number;
  family: Family;
}

/** `192.168.1.0/24` → parts; undefined when it is not a CIDR. */
export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const ip = m[1]!;
  const prefix = Number(m[2]);
  if (isIPv4(ip) && prefix <= 32) return { ip, prefix, family: 4 };
  const v6 = parseV6(ip);
  if (v6 && prefix <= 128) return { ip: v6, prefix, family: 6 };
  return undefined;
}

const bitsOf = (family: Family) => (family === 4 ? 32 : 128);

/** An address as a number; `ip` must be valid text of `family`. */
function toBigInt(ip: string, family: Family): bigint {
  if (family === 4) return ip.split('.').reduce((n, octet) => (n << 8n) | BigInt(Number(octet)), 0n);
  // The canonical form has no dotted IPv4 tail (the URL parser rewrites it into two groups).
  const [head, tail] = canonicalIp(ip).split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((n, g) => (n << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

function fromBigInt(n: bigint, family: Family): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
  return canonicalIp(Array.from({ length: 8 }, (_, i) => ((n >> BigInt((7 - i) * 16)) & 0xffffn).toString(16)).join(':'));
}

/** True when `ip` lies inside `cidr` (same family, same network bits). */
export function cidrContains(cidr: string, ip: string): boolean {
  const net = parseCidr(cidr);
  if (!net || familyOf(ip) !== net.family) return false;
  const shift = BigInt(bitsOf(net.family) - net.prefix);
  return toBigInt(ip, net.family) >> shift === toBigInt(net.ip, net.family) >> shift;
}

/** The network a CIDR names, host bits cleared, canonical (`10.1.2.3/16` → `10.1.0.0/16`); undefined when it is not a CIDR. */
export function networkOf(cidr: string): string | undefined {
  const net = parseCidr(cidr);
  if (!net) return undefined;
  const shift = BigInt(bitsOf(net.family) - net.prefix);
  return `${fromBigInt((toBigInt(net.ip, net.family) >> shift) << shift, net.family)}/${net.prefix}`;
}

/** The first usable address of a CIDR (a VPC subnet's gateway: network address + 1), or '' when the CIDR does not parse. */
export function firstHost(cidr: string): string {
  const net = parseCidr(networkOf(cidr) ?? '');
  return net ? fromBigInt(toBigInt(net.ip, net.family) + 1n, net.family) : '';
}

/** `ip`'s way of printing a route destination: host routes without the prefix, `default` for /0. */
export function routeDst(cidrOrIp: string): string {
  const c = parseCidr(cidrOrIp);
  if (!c) return canonicalIp(cidrOrIp);
  if (c.prefix === 0) return 'default';
  if (c.prefix === bitsOf(c.family)) return c.ip;
  return `${c.ip}/${c.prefix}`;
}

/** The host route/address of one IP: `ip/32`, or `ip/128` for IPv6. */
export const hostCidr = (ip: string) => `${ip}/${isIPv6(ip) ? 128 : 32}`;

/** The entries of a list of addresses or CIDRs that are of one family. */
export const ofFamily = (list: readonly string[], v6: boolean) => list.filter((x) => isIPv6(x.split('/')[0]!) === v6);
