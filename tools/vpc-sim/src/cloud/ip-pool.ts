/**
 * Address allocation inside one subnet block. Next-fit: a released address
 * is handed out again only after the rest of the block has been used, as a
 * real VPC avoids immediate reuse.
 *
 * IPv4 reserves the network address, the gateway (first host) and the
 * broadcast address. IPv6 reserves the first 16 addresses (the gateway is ::1).
 */
import { type Cidr, bigIntToIp, cidrContains, cidrSize, ipToBigInt, normalizeIp, parseCidr } from '../util/net.ts';

export class IpPool {
  readonly cidr: Cidr;
  private readonly first: bigint;
  private readonly last: bigint;
  private readonly used = new Set<string>();
  private cursor: bigint;

  constructor(cidrText: string) {
    this.cidr = parseCidr(cidrText);
    const size = cidrSize(this.cidr);
    this.first = this.cidr.family === 4 ? 2n : 16n;
    this.last = this.cidr.family === 4 ? size - 2n : size - 1n;
    this.cursor = this.first;
  }

  /** Addresses this pool can ever hand out. */
  get capacity(): bigint {
    return this.last >= this.first ? this.last - this.first + 1n : 0n;
  }

  get available(): bigint {
    return this.capacity - BigInt(this.used.size);
  }

  /** The address clients use as their gateway. */
  get gateway(): string {
    return bigIntToIp(this.cidr.base + 1n, this.cidr.family);
  }

  /** True when `ip` is inside the block and not reserved. */
  isAssignable(ip: string): boolean {
    if (!cidrContains(this.cidr, ip)) return false;
    const off = ipToBigInt(ip) - this.cidr.base;
    return off >= this.first && off <= this.last;
  }

  isUsed(ip: string): boolean {
    return this.used.has(normalizeIp(ip) ?? ip);
  }

  /** Mark a specific address used. The caller checks isAssignable/isUsed first. */
  take(ip: string): string {
    const n = normalizeIp(ip) ?? ip;
    this.used.add(n);
    return n;
  }

  /** `count` free addresses, or undefined (nothing taken) when the block has fewer. */
  allocate(count: number): string[] | undefined {
    if (this.available < BigInt(count)) return undefined;
    const out: string[] = [];
    while (out.length < count) {
      const ip = bigIntToIp(this.cidr.base + this.cursor, this.cidr.family);
      this.cursor = this.cursor >= this.last ? this.first : this.cursor + 1n;
      if (!this.used.has(ip)) {
        this.used.add(ip);
        out.push(ip);
      }
    }
    return out;
  }

  release(ip: string): void {
    this.used.delete(normalizeIp(ip) ?? ip);
  }
}
