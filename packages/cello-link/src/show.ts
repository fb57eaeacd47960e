/**
 * show: what cello made on this host, found by name pattern and by the route
 * and rule protocol 207 — host veths `cel…`, ifbs `cbw…`, ipvlan host slaves
 * `ipvl_N`, exclusive ENIs in transit `cex…`, every cello route (pod routes
 * and ENI tables), every cello rule, and the qdiscs on cello devices. cello-gc
 * compares this with the allocations to find orphans.
 */
import { toLinkInfo } from './links.ts';
import { CELLO_PROTO, HOST_VETH_PATTERN, IFB_PATTERN, IPVLAN_HOST_PATTERN } from './names.ts';
import { HOST, query } from './run.ts';

export type LinkRole = 'host-veth' | 'ifb' | 'ipvlan-host' | 'exclusive-in-transit';

export interface ShowLink {
  name: string;
  role: LinkRole;
  kind?: string;
  mac: string;
  mtu: number;
  up: boolean;
  addrs: string[];
}
export interface ShowRoute {
  dst: string;
  table: string;
  dev: string;
  via?: string;
}
export interface ShowRule {
  priority: number;
  from?: string;
  to?: string;
  table: string;
}
export interface ShowQdisc {
  dev: string;
  kind: string;
  handle?: string;
  rateBytes?: number;
  burstBytes?: number;
}
/** What `show` lists: the links, routes, rules and qdiscs cello made on this host. */
export interface KernelObjects {
  links: ShowLink[];
  routes: ShowRoute[];
  rules: ShowRule[];
  qdiscs: ShowQdisc[];
}

function roleOf(name: string): LinkRole | undefined {
  if (HOST_VETH_PATTERN.test(name)) return 'host-veth';
  if (IFB_PATTERN.test(name)) return 'ifb';
  if (IPVLAN_HOST_PATTERN.test(name)) return 'ipvlan-host';
  if (/^cex[0-9a-f]{11}$/.test(name)) return 'exclusive-in-transit';
  return undefined;
}

export async function show(): Promise<KernelObjects> {
  const proto = String(CELLO_PROTO);
  const [addrs, routes4, routes6, rules4] = await query(HOST, 'ip', ['addr show', 'route show table all', 'route show table all root ::/0', 'rule show'], {
    details: true,
  });
  const [rules6] = await query(HOST, 'ip', ['rule show'], { family6: true });
  const [qdiscs] = await query(HOST, 'tc', ['qdisc show']);

  const links: ShowLink[] = [];
  for (const row of addrs!) {
    const l = toLinkInfo(row);
    const role = roleOf(l.name);
    if (role) links.push({ name: l.name, role, kind: l.kind, mac: l.mac, mtu: l.mtu, up: l.up, addrs: l.addrs.map((a) => `${a.local}/${a.prefixlen}`) });
  }
  const names = new Set(links.map((l) => l.name));
  return {
    links,
    routes: [...routes4!, ...routes6!]
      .filter((r) => r.protocol === proto)
      .map((r) => ({ dst: r.dst, table: String(r.table ?? 'main'), dev: r.dev, ...(r.gateway ? { via: r.gateway } : {}) })),
    rules: [...rules4!, ...rules6!]
      .filter((r) => r.protocol === proto)
      .map((r) => ({ priority: r.priority, ...(r.src && r.src !== 'all' ? { from: r.src } : {}), ...(r.dst ? { to: r.dst } : {}), table: String(r.table) })),
    qdiscs: qdiscs!
      .filter((q) => names.has(q.dev) || q.kind === 'clsact')
      .map((q) => ({ dev: q.dev, kind: q.kind, handle: q.handle, ...(q.kind === 'tbf' ? { rateBytes: q.options?.rate, burstBytes: q.options?.burst } : {}) })),
  };
}
