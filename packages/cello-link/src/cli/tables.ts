/** How each result looks as a table on a terminal (JSON output carries every field). */
import type { Column } from '@cello/cli-kit';
import type { EniUpResult } from '../eni-up.ts';
import type { KernelObjects } from '../show.ts';
import type { Drift, LinkResult } from '../types.ts';

/** A row of a KEY/VALUE table (cli-kit's keyValueColumns). */
type Row = [string, unknown];

/** What setup made, one line per object. */
export function resultRows(r: LinkResult): Row[] {
  return [
    ['datapath', r.datapath],
    ['netns', r.netns],
    ['host interface', r.hostInterface ? `${r.hostInterface.name} ${r.hostInterface.mac}` : undefined],
    ['pod interface', `${r.podInterface.name} ${r.podInterface.mac} mtu ${r.podInterface.mtu ?? '-'}`],
    ['ifb', r.ifbInterface?.name],
    ...r.ips.map((ip): Row => ['ip', `${ip.address} gw ${ip.gateway}`]),
    ...r.routes.map((rt): Row => ['route', `${rt.dst} via ${rt.gw}`]),
  ];
}

type Commands = { ip: string[]; ip6?: string[]; tc?: string[]; sysctls?: Array<[string, string]> };

/** A dry run's commands, one line each, named by side (host, pod, or a device) and tool. */
export function commandRows(sides: Array<[string, Commands | undefined]>): Row[] {
  return sides.flatMap(([side, r]) =>
    r
      ? [
          ...(r.sysctls ?? []).map(([k, v]): Row => [`${side} sysctl`, `${k.replaceAll('/', '.')}=${v}`]),
          ...r.ip.map((c): Row => [`${side} ip`, c]),
          ...(r.ip6 ?? []).map((c): Row => [`${side} ip -6`, c]),
          ...(r.tc ?? []).map((c): Row => [`${side} tc`, c]),
        ]
      : [],
  );
}

export const eniUpColumns: Column<EniUpResult>[] = [
  { header: 'ENI', value: (r) => r.id },
  { header: 'DEVICE', value: (r) => r.device },
  { header: 'MAC', value: (r) => r.mac },
  { header: 'MTU', value: (r) => r.mtu },
  { header: 'DATAPATH', value: (r) => r.datapath },
  { header: 'TABLE', value: (r) => r.routeTable },
];

export const driftColumns: Column<Drift>[] = [
  { header: 'SIDE', value: (f) => f.side },
  { header: 'OBJECT', value: (f) => f.object },
  { header: 'PROBLEM', value: (f) => f.problem },
];

type ShowRow = { kind: string; name: string; detail: string };

/** What `show` found, one line per link, route, rule and qdisc. */
export function showRows(s: KernelObjects): ShowRow[] {
  return [
    ...s.links.map((l) => ({ kind: 'link', name: l.name, detail: `${l.role} ${l.mac} mtu ${l.mtu}${l.up ? '' : ' down'} ${l.addrs.join(' ')}`.trim() })),
    ...s.routes.map((r) => ({ kind: 'route', name: r.dst, detail: `${r.via ? `via ${r.via} ` : ''}dev ${r.dev} table ${r.table}` })),
    ...s.rules.map((r) => ({
      kind: 'rule',
      name: String(r.priority),
      detail: `${r.from ? `from ${r.from} ` : ''}${r.to ? `to ${r.to} ` : ''}lookup ${r.table}`,
    })),
    ...s.qdiscs.map((q) => ({ kind: 'qdisc', name: q.dev, detail: `${q.kind}${q.rateBytes ? ` rate ${q.rateBytes * 8}bit burst ${q.burstBytes}B` : ''}` })),
  ];
}

export const showColumns: Column<ShowRow>[] = [
  { header: 'KIND', value: (r) => r.kind },
  { header: 'NAME', value: (r) => r.name },
  { header: 'DETAIL', value: (r) => r.detail },
];
