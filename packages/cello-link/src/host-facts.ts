/**
 * What the ipvlan and exclusive datapaths need to know about the host: the
 * ENI's device (found by MAC), the node's own addresses and the default-route
 * device. The addresses come from /proc/net (per netns) and getifaddrs
 * (netlink), so they cost no process; the device lookup is one `ip -j`.
 */
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { LinkError } from './errors.ts';
import { findByMac, type LinkInfo, listLinks } from './links.ts';
import { ipvlanHostName } from './names.ts';
import type { IpvlanFacts } from './plan-ipvlan.ts';
import { HOST } from './run.ts';
import type { EniRecord } from './types.ts';

function lines(file: string): string[][] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
  } catch {
    return []; // no IPv6, or no /proc
  }
}

/**
 * Default-route devices: IPv4 from /proc/net/route (the main table only);
 * IPv6 from /proc/net/ipv6_route, which lists every table, so the IPv4
 * device wins when it is among the IPv6 candidates.
 */
export function defaultRouteDevices(): { v4?: string; v6?: string } {
  const v4 = lines('/proc/net/route').find((c) => c[1] === '00000000' && c[7] === '00000000')?.[0];
  const v6s = lines('/proc/net/ipv6_route')
    .filter((c) => c.length >= 10 && /^0{32}$/.test(c[0]!) && c[1] === '00' && c[9] !== 'lo')
    .map((c) => c[9]!);
  const v6 = v4 && v6s.includes(v4) ? v4 : v6s[0];
  return { v4, v6 };
}

/** IPv4 and global IPv6 addresses of the default-route devices. */
export function discoverHostIps(): string[] {
  const devs = defaultRouteDevices();
  const ifs = networkInterfaces();
  const ips: string[] = [];
  for (const a of (devs.v4 && ifs[devs.v4]) || []) if (a.family === 'IPv4') ips.push(a.address);
  for (const a of (devs.v6 && ifs[devs.v6]) || []) if (a.family === 'IPv6' && !a.address.startsWith('fe80')) ips.push(a.address);
  return ips;
}

/** The node addresses to use: the caller's, else the default-route device's. */
export function hostIpsFor(opts: { hostIps?: string[] }): string[] {
  const ips = opts.hostIps ?? discoverHostIps();
  if (!ips.length) throw new LinkError('host: cannot tell the node addresses (no default route); pass hostIps', 'host');
  return ips;
}

/** The ENI's device on the host (and every link, for whoever needs more), or a LinkError that says what to do. */
export async function hostEniDevice(eni: Pick<EniRecord, 'mac' | 'id'>): Promise<{ eni: LinkInfo; links: LinkInfo[] }> {
  const links = await listLinks(HOST);
  const dev = findByMac(links, eni.mac);
  if (!dev) {
    throw new LinkError(`host: no device with MAC ${eni.mac} (ENI ${eni.id}): is it attached, and not inside a pod? (cello-eni list)`, 'host');
  }
  return { eni: dev, links };
}

/** The host facts of the ipvlan fast path for one ENI. */
export function ipvlanFacts(eni: LinkInfo, links: readonly LinkInfo[], mtu: number, opts: { hostIps?: string[] }): IpvlanFacts {
  const devs = defaultRouteDevices();
  const hostLink = devs.v4 ?? devs.v6;
  if (!hostLink) throw new LinkError('host: no default route, so no host link for the ENI-egress rules', 'host');
  return {
    eniDevice: eni.name,
    eniIfindex: eni.ifindex,
    eniMtu: mtu,
    hostSlaveExists: links.some((l) => l.name === ipvlanHostName(eni.ifindex)),
    hostIps: hostIpsFor(opts),
    hostLink,
  };
}
