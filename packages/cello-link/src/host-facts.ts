/**
 * The node's own addresses, for the host paths of the ipvlan and exclusive
 * datapaths: the addresses of the device that holds the default route. Read
 * from /proc/net (per netns) and getifaddrs (netlink), so it costs no process.
 */
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';

function lines(file: string): string[][] {
  try {
    return readFileSync(file, 'utf8').split('\n').map((l) => l.trim().split(/\s+/));
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
