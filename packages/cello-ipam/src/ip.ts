/**
 * Address text helpers: one canonical spelling per IP (so the store's keys
 * match whatever the cloud or an operator typed) and CIDR membership.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type Family = 4 | 6;

/** 4, 6, or undefined when `text` is not a plain IP address (no prefix length). */
export function familyOf(text: string): Family | undefined {
  if (isIPv4(text)) return 4;
  if (isIPv6(text)) return 6;
  return undefined;
}

/** The canonical text of an IP: IPv4 as is, IPv6 compressed and lower-case (RFC 5952). */
export function canonicalIp(text: string): string {
  if (isIPv4(text)) return text;
  // The WHATWG URL parser serialises IPv6 hosts in RFC 5952 form.
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

function toBigInt(ip: string, family: Family): bigint {
  if (family === 4) return ip.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
  let text = ip;
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4Tail) {
    const n = toBigInt(v4Tail[1]!, 4);
    text = `${text.slice(0, -v4Tail[1]!.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** Parse "a.b.c.d/n" or "x::/n"; undefined when it is not a CIDR. */
export function parseCidr(cidr: string): { family: Family; base: bigint; prefix: number } | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!m) return undefined;
  const family = familyOf(m[1]!);
  const prefix = Number(m[2]);
  if (!family || prefix > (family === 4 ? 32 : 128)) return undefined;
  return { family, base: toBigInt(m[1]!, family), prefix };
}

/** True when `ip` lies inside `cidr` (same family, same network bits). */
export function cidrContains(cidr: string, ip: string): boolean {
  const net = parseCidr(cidr);
  const family = familyOf(ip);
  if (!net || family !== net.family) return false;
  const bits = BigInt(family === 4 ? 32 : 128);
  const shift = bits - BigInt(net.prefix);
  return toBigInt(ip, family) >> shift === net.base >> shift;
}

/** Lower-case colon-separated MAC, or undefined when `text` is not a MAC. */
export function canonicalMac(text: string): string | undefined {
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(text);
  return m ? m.slice(1).join(':').toLowerCase() : undefined;
}
