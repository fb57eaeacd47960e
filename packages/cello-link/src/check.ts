/**
 * check: compare the kernel with the plan setup would make now, object by
 * object, and name each one that is missing or different. Objects marked
 * checkOnly (the ENI table of eni-up, an ENI's egress rules) are included,
 * with what to run when they are wrong.
 */
import { existsSync } from 'node:fs';
import { canonicalIp, isIPv6, routeDst } from '@cello/records';
import { describe, type Expect, isV6Rule, type KObject } from './objects.ts';
import type { Plan } from './plan.ts';
import { HOST, pod, type Side } from './run.ts';
import { exclusivePlan } from './plan-exclusive.ts';
import { hostIpsFor } from './host-facts.ts';
import { planSetup } from './setup.ts';
import { type Snapshot, type SnapshotWants, snapshot } from './snapshot.ts';
import { parseAllocation } from './validate.ts';
import type { Drift, LinkAllocation, LinkResult, SetupOptions } from './types.ts';

// biome-ignore lint/suspicious/noExplicitAny: iproute2's JSON, read field by field
type Row = Record<string, any>;

const table = (t: unknown) => String(t ?? 'main');

function linkProblem(s: Snapshot, name: string, want: { kind?: string; mac?: string; mtu?: number; noarp?: boolean }): string | undefined {
  const l = s.links.find((x) => x.name === name);
  if (!l) return 'missing';
  if (want.kind && l.kind !== want.kind) return `is a ${l.kind ?? 'device'}, not ${want.kind}`;
  if (want.mac && l.mac !== want.mac) return `has MAC ${l.mac}, not ${want.mac}`;
  if (want.mtu && l.mtu !== want.mtu) return `has MTU ${l.mtu}, not ${want.mtu}`;
  if (!l.up) return 'is down';
  if (want.noarp && !l.flags.includes('NOARP')) return 'answers ARP (NOARP expected)';
  return undefined;
}

function routeProblem(s: Snapshot, o: Extract<KObject, { kind: 'route' }>): string | undefined {
  const family = isIPv6(o.dst.split('/')[0]!) ? 6 : 4;
  const same = s.routes.filter((r) => r.family === family && r.dst === routeDst(o.dst) && table(r.table) === table(o.table) && r.type !== 'local');
  if (!same.length) return 'missing';
  const ok = same.find((r) => (!o.dev || r.dev === o.dev) && (!o.via || (r.gateway && canonicalIp(r.gateway) === canonicalIp(o.via))));
  if (ok) return undefined;
  const r = same[0]!;
  return `points elsewhere: ${r.gateway ? `via ${r.gateway} ` : ''}dev ${r.dev}`;
}

function ruleProblem(s: Snapshot, o: Extract<KObject, { kind: 'rule' }>): string | undefined {
  const at = s.rules.filter(
    (r) =>
      r.priority === o.prio &&
      (o.from ? r.src === canonicalIp(o.from) : true) &&
      (o.to ? r.dst === canonicalIp(o.to) : true) &&
      (o.iif ? r.iif === o.iif : true),
  );
  if (!at.length) return 'missing';
  return at.some((r) => table(r.table) === table(o.table)) ? undefined : `looks up table ${at[0]!.table}`;
}

function neighProblem(s: Snapshot, o: Extract<KObject, { kind: 'neigh' }>): string | undefined {
  const n = s.neighbours.find((r) => r.dev === o.dev && canonicalIp(r.dst) === canonicalIp(o.ip));
  if (!n) return 'missing';
  if (String(n.lladdr).toLowerCase() !== o.mac) return `has lladdr ${n.lladdr}`;
  if (!(n.state ?? []).includes('PERMANENT')) return `is ${(n.state ?? []).join(',') || 'not permanent'}`;
  return undefined;
}

function tbfProblem(s: Snapshot, o: Extract<KObject, { kind: 'tbf' }>): string | undefined {
  const q = s.qdiscs.find((r) => r.dev === o.dev && r.root);
  if (q?.kind !== 'tbf') return q ? `root qdisc is ${q.kind}` : 'missing';
  const rate = Math.floor(o.rate / 8);
  const burst = Math.floor(o.burst / 8);
  if (q.options?.rate !== rate || q.options?.burst !== burst) return `has rate ${q.options?.rate} B/s burst ${q.options?.burst} B, not ${rate}/${burst}`;
  return undefined;
}

const mirredTargets = (filters: Row[] | undefined) =>
  (filters ?? []).flatMap((f) => (f.options?.actions ?? []).filter((a: Row) => a.kind === 'mirred').map((a: Row) => `${a.direction} ${a.to_dev}`));

function redirectProblem(s: Snapshot, o: Extract<KObject, { kind: 'redirect' }>): string | undefined {
  if (!s.qdiscs.some((q) => q.dev === o.dev && q.kind === 'ingress')) return 'no ingress qdisc';
  return mirredTargets(s.filters.get(`${o.dev} ingress`)).includes(`egress ${o.to}`) ? undefined : `no filter redirecting to ${o.to}`;
}

function egressRulesProblem(s: Snapshot, o: Extract<KObject, { kind: 'egress-rules' }>): string | undefined {
  if (!s.qdiscs.some((q) => q.dev === o.dev && q.kind === 'clsact')) return 'no clsact qdisc';
  const have = mirredTargets(s.filters.get(`${o.dev} egress`)).sort();
  const want = o.rules.map((r) => (r.match === 'src' ? `egress ${r.redirectTo}` : `ingress ${r.ingressTo}`)).sort();
  return have.join() === want.join() ? undefined : `redirects [${have.join(', ')}], expected [${want.join(', ')}]`;
}

function problem(s: Snapshot, o: KObject): string | undefined {
  switch (o.kind) {
    case 'veth':
      return linkProblem(s, o.name, { kind: 'veth', mac: o.mac, mtu: o.mtu });
    case 'ifb':
      return linkProblem(s, o.name, { kind: 'ifb', mtu: o.mtu });
    case 'ipvlan':
      return o.netns ? undefined : linkProblem(s, o.name, { kind: 'ipvlan', mtu: o.mtu, noarp: o.noarp });
    case 'move':
      return undefined; // seen from the pod side: its `link` entry
    case 'link':
      return linkProblem(s, o.name, { kind: o.type, mac: o.mac, mtu: o.mtu });
    case 'addr': {
      const [ip, len] = o.cidr.split('/');
      const l = s.links.find((x) => x.name === o.dev);
      return l?.addrs.some((a) => canonicalIp(a.local) === canonicalIp(ip!) && a.prefixlen === Number(len)) ? undefined : 'missing';
    }
    case 'route':
      return routeProblem(s, o);
    case 'rule':
      return ruleProblem(s, o);
    case 'neigh':
      return neighProblem(s, o);
    case 'sysctl': {
      const v = s.sysctls.get(o.key);
      return v === o.value ? undefined : v === undefined ? 'missing' : `is ${v}`;
    }
    case 'tbf':
      return tbfProblem(s, o);
    case 'redirect':
      return redirectProblem(s, o);
    case 'egress-rules':
      return egressRulesProblem(s, o);
  }
}

function wantsFor(objects: readonly Expect[]): SnapshotWants {
  const tc: NonNullable<SnapshotWants['tc']> = [];
  for (const o of objects) {
    if (o.kind === 'tbf') tc.push({ dev: o.dev });
    if (o.kind === 'redirect') tc.push({ dev: o.dev, hook: 'ingress' });
    if (o.kind === 'egress-rules') tc.push({ dev: o.dev, hook: 'egress' });
  }
  return {
    rules6: objects.some(isV6Rule),
    tc,
    sysctls: objects.flatMap((o) => (o.kind === 'sysctl' ? [o.key] : [])),
  };
}

async function checkSide(side: Side, objects: readonly Expect[]): Promise<Drift[]> {
  const s = await snapshot(side, wantsFor(objects));
  const findings: Drift[] = [];
  for (const o of objects) {
    const p = problem(s, o);
    if (p) findings.push({ side: side.kind, object: describe(o), problem: o.hint ? `${p} (${o.hint})` : p });
  }
  return findings;
}

/** Compare a plan's result with a LinkResult setup returned earlier (CNI CHECK's prevResult). */
function resultFindings(plan: Plan, expected: LinkResult): Drift[] {
  const out: Drift[] = [];
  const got = plan.result;
  if (expected.datapath !== got.datapath) out.push({ side: 'host', object: 'datapath', problem: `was set up as ${expected.datapath}, now ${got.datapath}` });
  if (expected.hostInterface?.name !== got.hostInterface?.name) {
    out.push({ side: 'host', object: 'host interface', problem: `expected ${expected.hostInterface?.name}, plan has ${got.hostInterface?.name}` });
  }
  if (expected.podInterface.mac !== got.podInterface.mac) {
    out.push({ side: 'pod', object: `link ${got.podInterface.name}`, problem: `expected MAC ${expected.podInterface.mac}, plan has ${got.podInterface.mac}` });
  }
  return out;
}

/** Everything wrong with an allocation's datapath; empty when all is in place. */
export async function check(input: LinkAllocation, expected?: LinkResult, opts: SetupOptions = {}): Promise<Drift[]> {
  const a = parseAllocation(input);
  if (!existsSync(a.netns)) return [{ side: 'pod', object: `netns ${a.netns}`, problem: 'missing' }];
  // An exclusive ENI lives in the pod once set up: plan without looking for it on the host.
  const plan = a.mode === 'exclusive' ? exclusivePlan(a, opts, { eniDevice: a.ifname, hostIps: hostIpsFor(opts) }) : await planSetup(a, opts);
  return [...(expected ? resultFindings(plan, expected) : []), ...(await checkSide(HOST, plan.host)), ...(await checkSide(pod(a.netns), plan.pod))];
}
