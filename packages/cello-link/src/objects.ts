/**
 * The kernel objects a datapath is made of, as data. A plan is a list of these
 * per side; from the same list come the commands setup runs (`render`) and the
 * checks `check` makes (check.ts), so check can never forget something setup
 * made.
 */
import { isIPv6, routeDst } from '@cello/records';
import { CELLO_PROTO, PRIO_EGRESS_V4, PRIO_EGRESS_V6 } from './names.ts';

export type KObject =
  /** A veth pair: this side's end up here, the peer created straight into `peer.netns`. */
  | { kind: 'veth'; name: string; mac: string; mtu: number; peer: { name: string; mac: string; netns: string } }
  | { kind: 'ifb'; name: string; mtu: number }
  /** An ipvlan L2 slave of `parent`; created into `netns` when given (then brought up there). */
  | { kind: 'ipvlan'; name: string; parent: string; mtu: number; netns?: string; noarp?: boolean; exists?: boolean }
  /** Move a device into a netns under a new name (the exclusive ENI). */
  | { kind: 'move'; dev: string; netns: string; name: string }
  /** An existing device (or one created from the other side) set up, with its MTU. */
  | { kind: 'link'; name: string; mtu?: number; mac?: string; type?: string }
  | { kind: 'addr'; dev: string; cidr: string }
  | { kind: 'route'; dst: string; dev: string; via?: string; table?: number; scope?: 'link'; src?: string; onlink?: boolean }
  | { kind: 'rule'; prio: number; from?: string; to?: string; table: number | 'main'; iif?: string }
  | { kind: 'neigh'; dev: string; ip: string; mac: string }
  | { kind: 'sysctl'; key: string; value: string }
  /** A tbf root qdisc; rate in bit/s, burst in bits (CNI's units). */
  | { kind: 'tbf'; dev: string; rate: number; burst: number }
  /** Everything arriving on `dev` sent to the ifb `to` (ingress qdisc + u32 match-all + mirred). */
  | { kind: 'redirect'; dev: string; to: string }
  /** The ipvlan ENI-egress rules on `dev`'s clsact egress hook; any other filter there is removed. */
  | { kind: 'egress-rules'; dev: string; rules: EgressRule[] };

export type EgressRule = { match: 'src'; cidr: string; redirectTo: string } | { match: 'dst'; cidr: string; ingressTo: string };

/**
 * A plan entry. `checkOnly` marks what setup relies on but someone else makes
 * (the ENI table of eni-up): check looks at it, setup does not touch it, and
 * `hint` says what to run when it is missing.
 */
export type Expect = KObject & { checkOnly?: true; hint?: string };

const TBF_LATENCY = '25ms';

/** tbf arguments the way the reference bandwidth plugin computes them: bytes = bits / 8, latency 25 ms. */
export function tbfArgs(rateBits: number, burstBits: number): string {
  return `rate ${Math.floor(rateBits / 8)}bps burst ${Math.floor(burstBits / 8)}b latency ${TBF_LATENCY}`;
}

function routeLine(o: Extract<KObject, { kind: 'route' }>): string {
  const parts = ['route replace', o.dst];
  if (o.via) parts.push('via', o.via);
  parts.push('dev', o.dev);
  if (o.table !== undefined) parts.push('table', String(o.table));
  if (o.scope) parts.push('scope', o.scope);
  if (o.src) parts.push('src', o.src);
  if (o.onlink) parts.push('onlink');
  parts.push('proto', String(CELLO_PROTO));
  return parts.join(' ');
}

export function ruleSelector(o: Extract<KObject, { kind: 'rule' }>): string {
  return [o.from ? `from ${o.from}` : '', o.to ? `to ${o.to}` : '', o.iif ? `iif ${o.iif}` : ''].filter(Boolean).join(' ');
}

export const isV6Rule = (o: KObject) => o.kind === 'rule' && isIPv6(o.from ?? o.to ?? '');

export interface Rendered {
  ip: string[];
  /** IPv6 rules: `ip` only takes them with -6, so they need a batch of their own. */
  ip6: string[];
  tc: string[];
  sysctls: Array<[string, string]>;
}

/** The commands that make a side's objects, in order. */
export function render(objects: readonly Expect[]): Rendered {
  const out: Rendered = { ip: [], ip6: [], tc: [], sysctls: [] };
  for (const o of objects) {
    if ('checkOnly' in o && o.checkOnly) continue;
    switch (o.kind) {
      case 'veth':
        out.ip.push(
          `link add ${o.name} mtu ${o.mtu} address ${o.mac} type veth peer name ${o.peer.name} mtu ${o.mtu} address ${o.peer.mac} netns ${o.peer.netns}`,
          `link set dev ${o.name} up`,
        );
        break;
      case 'ifb':
        out.ip.push(`link add ${o.name} mtu ${o.mtu} type ifb`, `link set dev ${o.name} up`);
        break;
      case 'ipvlan':
        if (!o.exists) out.ip.push(`link add link ${o.parent} name ${o.name} mtu ${o.mtu}${o.netns ? ` netns ${o.netns}` : ''} type ipvlan mode l2`);
        if (!o.netns) out.ip.push(`link set dev ${o.name}${o.noarp ? ' arp off' : ''} up`);
        break;
      case 'move':
        out.ip.push(`link set dev ${o.dev} down`, `link set dev ${o.dev} netns ${o.netns} name ${o.name}`);
        break;
      case 'link':
        out.ip.push(`link set dev ${o.name}${o.mtu ? ` mtu ${o.mtu}` : ''} up`);
        break;
      case 'addr':
        out.ip.push(`addr replace ${o.cidr} dev ${o.dev}${isIPv6(o.cidr.split('/')[0]!) ? ' nodad' : ''}`);
        break;
      case 'route':
        out.ip.push(routeLine(o));
        break;
      case 'rule':
        (isV6Rule(o) ? out.ip6 : out.ip).push(`rule add ${ruleSelector(o)} lookup ${o.table} pref ${o.prio} protocol ${CELLO_PROTO}`);
        break;
      case 'neigh':
        out.ip.push(`neigh replace ${o.ip} lladdr ${o.mac} dev ${o.dev} nud permanent`);
        break;
      case 'sysctl':
        out.sysctls.push([o.key, o.value]);
        break;
      case 'tbf':
        out.tc.push(`qdisc replace dev ${o.dev} root handle 1: tbf ${tbfArgs(o.rate, o.burst)}`);
        break;
      case 'redirect':
        out.tc.push(
          `qdisc add dev ${o.dev} handle ffff: ingress`,
          `filter add dev ${o.dev} parent ffff: protocol all prio 1 u32 match u32 0 0 flowid 1:1 action mirred egress redirect dev ${o.to}`,
        );
        break;
      case 'egress-rules':
        out.tc.push(`qdisc replace dev ${o.dev} clsact`, `filter del dev ${o.dev} egress`, ...o.rules.map((r) => egressRuleLine(o.dev, r)));
        break;
    }
  }
  return out;
}

/**
 * One ENI-egress rule as a u32 filter. Upstream uses flower; u32 matches the
 * same /32, /128 and CIDR selectors and exists wherever clsact does (flower is
 * missing on some kernels, this one included).
 */
export function egressRuleLine(dev: string, r: EgressRule): string {
  const v6 = isIPv6(r.cidr.split('/')[0]!);
  const head = `filter add dev ${dev} egress pref ${v6 ? PRIO_EGRESS_V6 : PRIO_EGRESS_V4} protocol ${v6 ? 'ipv6' : 'ip'} u32 match ${v6 ? 'ip6' : 'ip'}`;
  return r.match === 'src'
    ? `${head} src ${r.cidr} action mirred egress redirect dev ${r.redirectTo}`
    : `${head} dst ${r.cidr} action tunnel_key unset action skbedit ptype host action mirred ingress redirect dev ${r.ingressTo}`;
}

/** How an object reads in a finding: close to the `ip`/`tc` command that makes it. */
export function describe(o: KObject): string {
  switch (o.kind) {
    case 'veth':
      return `veth ${o.name} (peer ${o.peer.name} in ${o.peer.netns})`;
    case 'ifb':
      return `ifb ${o.name}`;
    case 'ipvlan':
      return `ipvlan ${o.name} on ${o.parent}`;
    case 'move':
      return `device ${o.dev} moved to ${o.netns} as ${o.name}`;
    case 'link':
      return `link ${o.name}`;
    case 'addr':
      return `address ${o.cidr} on ${o.dev}`;
    case 'route':
      return `route ${routeDst(o.dst)}${o.via ? ` via ${o.via}` : ''} dev ${o.dev} table ${o.table ?? 'main'}`;
    case 'rule':
      return `rule pref ${o.prio} ${ruleSelector(o)} lookup ${o.table}`;
    case 'neigh':
      return `neighbour ${o.ip} lladdr ${o.mac} dev ${o.dev} permanent`;
    case 'sysctl':
      return `sysctl ${o.key.replaceAll('/', '.')}=${o.value}`;
    case 'tbf':
      return `tbf on ${o.dev} (${tbfArgs(o.rate, o.burst)})`;
    case 'redirect':
      return `ingress redirect ${o.dev} → ${o.to}`;
    case 'egress-rules':
      return `egress rules on ${o.dev}`;
  }
}
