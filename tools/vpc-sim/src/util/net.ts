/**
 * IPv4/IPv6 address arithmetic for subnets: parse a CIDR, test membership,
 * take the n-th address. Addresses are handled as bigint so both families
 * share one code path.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  family: 4 | 6;
  /** The network address as a number. */
  base: bigint;
  prefix: number;
  /** Address width: 32 or 128. */
  bits: number;
  text: string;
}

export function ipToBigInt(ip: string): bigint {
  if (isIPv4(ip)) return ip.split('.').reduce((n, part) => (n << 8n) + BigInt(Number(part)), 0n);
  if (!isIPv6(ip)) throw new Error(`not an IP address: ${ip}`);
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((n, g) => (n << 16n) + BigInt(parseInt(g, 16)), 0n);
}

export function bigIntToIp(n: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt((7 - i) * 16)) & 0xffffn));
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Canonical text of an address (e.g. IPv6 compressed and lower-case); undefined if not an IP. */
export function normalizeIp(ip: string): string | undefined {
  if (isIPv4(ip)) return bigIntToIp(ipToBigInt(ip), 4);
  if (isIPv6(ip) && !ip.includes('.')) return bigIntToIp(ipToBigInt(ip), 6);
  return undefined;
}

export function parseCidr(text: string): Cidr {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) throw new Error(`not a CIDR: ${text}`);
  const family = isIPv4(m[1]!) ? 4 : isIPv6(m[1]!) ? 6 : 0;
  if (!family) throw new Error(`not a CIDR: ${text}`);
  const bits = family === 4 ? 32 : 128;
  const prefix = Number(m[2]);
  if (prefix > bits) throw new Error(`prefix too long in ${text}`);
  const hostBits = BigInt(bits - prefix);
  const base = (ipToBigInt(m[1]!) >> hostBits) << hostBits;
  return { family, base, prefix, bits, text: `${bigIntToIp(base, family)}/${prefix}` };
}

export function cidrSize(c: Cidr): bigint {
  return 1n << BigInt(c.bits - c.prefix);
}

export function cidrContains(c: Cidr, ip: string): boolean {
  const fam = isIPv4(ip) ? 4 : isIPv6(ip) ? 6 : 0;
  if (fam !== c.family) return false;
  return ipToBigInt(ip) >> BigInt(c.bits - c.prefix) === c.base >> BigInt(c.bits - c.prefix);
}

/** True when block `inner` lies entirely inside `outer`. */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  return inner.family === outer.family && inner.prefix >= outer.prefix && cidrContains(outer, bigIntToIp(inner.base, inner.family));
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrWithin(a, b) || cidrWithin(b, a);
}
