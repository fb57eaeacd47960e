/**
 * What the kernel holds on one side, read in as few processes as possible:
 * one `ip -j -d -batch` (links with addresses, routes of every table and both
 * families, IPv4 rules, neighbours), `ip -j -6 rule` when IPv6 rules matter,
 * one `tc -j -batch` when qdiscs matter, and the sysctls asked for.
 */
import { type LinkInfo, toLinkInfo } from './links.ts';
import { query, runProcess, type Side } from './run.ts';
import { readSysctl } from './sysctl.ts';

// biome-ignore lint/suspicious/noExplicitAny: iproute2's JSON, read field by field
type Row = Record<string, any>;

export interface Snapshot {
  links: LinkInfo[];
  /** Both families, each row tagged with `family: 4 | 6` (both print the default route as "default"). */
  routes: Row[];
  rules: Row[];
  neighbours: Row[];
  qdiscs: Row[];
  /** Filters by "<dev> ingress" / "<dev> egress". */
  filters: Map<string, Row[]>;
  sysctls: Map<string, string | undefined>;
}

export interface SnapshotWants {
  rules6?: boolean;
  /** Devices whose qdiscs matter; with `ingress`/`egress` filter hooks to read. */
  tc?: Array<{ dev: string; hook?: 'ingress' | 'egress' }>;
  sysctls?: string[];
}

/** The sysctls of a side: the host's read directly, a pod's by one shell inside it. */
async function readSysctls(side: Side, keys: readonly string[]): Promise<Map<string, string | undefined>> {
  const values = new Map<string, string | undefined>();
  if (!keys.length) return values;
  if (side.kind === 'host') {
    for (const k of keys) values.set(k, readSysctl(k));
    return values;
  }
  // /proc/sys/net shows the reader's netns: a shell inside the pod reads them, one line each.
  const script = 'for f in "$@"; do cat "/proc/sys/$f" 2>/dev/null || echo -; done';
  const r = await runProcess('nsenter', [`--net=${side.netns}`, '/bin/sh', '-c', script, 'sh', ...keys]);
  const lines = r.stdout.split('\n');
  for (const [i, k] of keys.entries()) values.set(k, lines[i] === '-' ? undefined : lines[i]?.trim());
  return values;
}

export async function snapshot(side: Side, wants: SnapshotWants = {}): Promise<Snapshot> {
  const [addrs, routes4, routes6, rules4, neighbours] = await query(
    side,
    'ip',
    ['addr show', 'route show table all', 'route show table all root ::/0', 'rule show', 'neigh show'],
    { details: true },
  );
  const links = addrs!.map(toLinkInfo);
  const rules = [...rules4!];
  if (wants.rules6) rules.push(...(await query(side, 'ip', ['rule show'], { family6: true }))[0]!);

  let qdiscs: Row[] = [];
  const filters = new Map<string, Row[]>();
  const tcWants = (wants.tc ?? []).filter((w) => links.some((l) => l.name === w.dev));
  if (tcWants.length) {
    const hooks = tcWants.filter((w) => w.hook);
    const cmds = ['qdisc show', ...hooks.map((w) => `filter show dev ${w.dev} ${w.hook === 'ingress' ? 'parent ffff:' : 'egress'}`)];
    const [q, ...f] = await query(side, 'tc', cmds);
    qdiscs = q!;
    for (const [i, w] of hooks.entries()) filters.set(`${w.dev} ${w.hook}`, f[i]!);
  }
  const routes = [...routes4!.map((r) => ({ ...r, family: 4 })), ...routes6!.map((r) => ({ ...r, family: 6 }))];
  return { links, routes, rules, neighbours: neighbours!, qdiscs, filters, sysctls: await readSysctls(side, wants.sysctls ?? []) };
}
