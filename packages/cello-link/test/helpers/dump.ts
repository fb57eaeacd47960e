/**
 * The whole kernel networking state of a namespace as comparable JSON: links,
 * addresses, routes of every table (v4 and v6), rules (v4 and v6), permanent
 * neighbours (the only kind cello makes; learned ones come and go with
 * traffic) and non-default qdiscs. Counters and timers are dropped.
 */
import { must } from '@cello/testkit';

type Row = Record<string, any>;

async function ipJson(ns: string, args: string[]): Promise<Row[]> {
  const r = await must('ip', ['-n', ns, '-j', ...args]);
  return JSON.parse(String(r.stdout) || '[]');
}

const DEFAULT_QDISCS = new Set(['noqueue', 'noop', 'pfifo_fast', 'mq', 'fq_codel']);

export async function dumpNs(ns: string) {
  const links = (await ipJson(ns, ['-d', 'addr', 'show'])).map((l) => ({
    name: l.ifname,
    kind: l.linkinfo?.info_kind,
    mac: l.address,
    mtu: l.mtu,
    up: (l.flags as string[]).includes('UP'),
    noarp: (l.flags as string[]).includes('NOARP'),
    addrs: (l.addr_info ?? []).map((a: Row) => `${a.local}/${a.prefixlen}`).sort(),
  }));
  const routes = [...(await ipJson(ns, ['route', 'show', 'table', 'all'])), ...(await ipJson(ns, ['-6', 'route', 'show', 'table', 'all']))].map((r) => ({
    type: r.type,
    dst: r.dst,
    gateway: r.gateway,
    dev: r.dev,
    table: r.table,
    protocol: r.protocol,
    scope: r.scope,
    prefsrc: r.prefsrc,
  }));
  const rules = [...(await ipJson(ns, ['rule', 'show'])), ...(await ipJson(ns, ['-6', 'rule', 'show']))];
  const neighbours = (await ipJson(ns, ['neigh', 'show', 'nud', 'permanent'])).map((n) => ({ dst: n.dst, dev: n.dev, lladdr: n.lladdr }));
  const tc = await must('ip', ['netns', 'exec', ns, 'tc', '-j', 'qdisc', 'show']);
  const qdiscs = (JSON.parse(String(tc.stdout) || '[]') as Row[])
    .filter((q) => !DEFAULT_QDISCS.has(q.kind))
    .map((q) => ({ dev: q.dev, kind: q.kind, handle: q.handle, parent: q.parent, options: q.options }));
  const by = (a: Row, b: Row) => JSON.stringify(a).localeCompare(JSON.stringify(b));
  return { links: links.sort(by), routes: routes.sort(by), rules: rules.sort(by), neighbours: neighbours.sort(by), qdiscs: qdiscs.sort(by) };
}

/** A dump without one device and everything on it (a device the kernel destroyed, not cello). */
export function withoutDevice(d: Awaited<ReturnType<typeof dumpNs>>, dev: string) {
  return {
    links: d.links.filter((l) => l.name !== dev),
    routes: d.routes.filter((r) => r.dev !== dev),
    rules: d.rules,
    neighbours: d.neighbours.filter((n) => n.dev !== dev),
    qdiscs: d.qdiscs.filter((q) => q.dev !== dev),
  };
}
