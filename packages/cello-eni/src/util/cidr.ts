/** The one address calculation the ENI records need: a subnet's gateway (its network address + 1). */
import { isIPv4 } from 'node:net';

function v4ToBig(ip: string): bigint {
  return ip.split('.').reduce((n, o) => (n << 8n) + BigInt(Number(o)), 0n);
}

function v6ToBig(ip: string): bigint {
  const [head, tail = ''] = ip.includes('::') ? ip.split('::') : [ip, undefined as unknown as string];
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.reduce((n, g) => (n << 16n) + BigInt(Number.parseInt(g || '0', 16)), 0n);
}

function bigToV6(n: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt((7 - i) * 16)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups.
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

/** The first usable address of a CIDR (the VPC's gateway), or '' when the CIDR does not parse. */
export function firstHost(cidr: string): string {
  const [addr, lenText] = cidr.split('/');
  const len = Number(lenText);
  if (!addr || !Number.isInteger(len)) return '';
  try {
    if (isIPv4(addr)) {
      const mask = len === 0 ? 0n : ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - len)) - 1n);
      const n = (v4ToBig(addr) & mask) + 1n;
      return [24n, 16n, 8n, 0n].map((s) => Number((n >> s) & 255n)).join('.');
    }
    const mask = len === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - len)) - 1n);
    return bigToV6((v6ToBig(addr) & mask) + 1n);
  } catch {
    return '';
  }
}
