/**
 * Finding devices. Always through `ip -j` (netlink), never /sys/class/net: a
 * process entered into a netns with plain `nsenter --net` still sees the
 * sysfs of the namespace its mount was made in, so sysfs can name devices of
 * the wrong namespace. /proc/sys/net and netlink follow the process's netns.
 */
import { LinkError } from './errors.ts';
import { query, type Side } from './run.ts';

export interface LinkInfo {
  ifindex: number;
  name: string;
  mac: string;
  mtu: number;
  up: boolean;
  flags: string[];
  /** `veth`, `ipvlan`, `ifb`…; undefined for a physical device. */
  kind?: string;
  addrs: Array<{ local: string; prefixlen: number; family: string }>;
}

/** Every link of a side with its addresses, from one `ip -j -d addr show`. */
export async function listLinks(side: Side): Promise<LinkInfo[]> {
  const [rows] = await query(side, 'ip', ['addr show'], { details: true });
  return rows!.map(toLinkInfo);
}

// biome-ignore lint/suspicious/noExplicitAny: iproute2's JSON, read field by field
export function toLinkInfo(r: Record<string, any>): LinkInfo {
  return {
    ifindex: r.ifindex,
    name: r.ifname,
    mac: String(r.address ?? '').toLowerCase(),
    mtu: r.mtu,
    up: Array.isArray(r.flags) && r.flags.includes('UP'),
    flags: Array.isArray(r.flags) ? r.flags : [],
    kind: r.linkinfo?.info_kind,
    addrs: (r.addr_info ?? []).map((a: typeof r) => ({ local: a.local, prefixlen: a.prefixlen, family: a.family })),
  };
}

/** Devices that borrow a parent's MAC and so never count as the ENI itself. */
const BORROWS_MAC = new Set(['ipvlan', 'ipvtap', 'macvlan', 'macvtap', 'vlan', 'bridge', 'bond', 'team', 'ifb']);

/** The device carrying this MAC (ipvlan slaves and the like ignored); undefined when absent. */
export function findByMac(links: readonly LinkInfo[], mac: string, where = 'host'): LinkInfo | undefined {
  const matches = links.filter((l) => l.mac === mac.toLowerCase() && !BORROWS_MAC.has(l.kind ?? ''));
  if (matches.length > 1) {
    const names = matches.map((l) => l.name).join(', ');
    throw new LinkError(`${where}: ${matches.length} devices carry MAC ${mac} (${names}); cannot tell which is the ENI`, where === 'host' ? 'host' : 'pod');
  }
  return matches[0];
}
