/** How each record looks as a table on a terminal (JSON output carries every field). */
import type { Column } from '@cello/cli-kit';
import type { SimState } from '../control/state.ts';
import type { DownReport } from '../lifecycle/down.ts';
import type { SimSummary } from '../lifecycle/list.ts';
import type { CallRecord } from '../openapi/calls.ts';
import type { Fault } from '../openapi/faults.ts';
import type { SgRow } from './sg.ts';

export const downColumns: Column<DownReport>[] = [
  { header: 'SIM', value: (r) => r.name },
  { header: 'PROCESSES', value: (r) => r.pids },
  { header: 'NAMESPACES', value: (r) => r.namespaces },
  { header: 'STATE DIR', value: (r) => r.stateDir },
  { header: 'DRY RUN', value: (r) => r.dryRun },
];

export const simColumns: Column<SimSummary>[] = [
  { header: 'NAME', value: (s) => s.name },
  { header: 'STATUS', value: (s) => s.status },
  { header: 'NODES', value: (s) => s.nodes },
  { header: 'SERVER PID', value: (s) => s.pid },
];

export const instanceColumns: Column<SimState['instances'][number]>[] = [
  { header: 'NODE', value: (i) => i.node },
  { header: 'INSTANCE', value: (i) => i.id },
  { header: 'TYPE', value: (i) => i.type },
  { header: 'NETNS', value: (i) => i.netns },
  { header: 'ENIS', value: (i) => i.enis.length },
];

export const eniColumns: Column<SimState['enis'][number]>[] = [
  { header: 'ENI', value: (e) => e.id },
  { header: 'TYPE', value: (e) => e.type },
  { header: 'STATUS', value: (e) => e.status },
  { header: 'INSTANCE', value: (e) => e.instanceId },
  { header: 'DEVICE', value: (e) => e.device },
  { header: 'MAC', value: (e) => e.mac },
  { header: 'PRIMARY IP', value: (e) => e.primaryIp },
  { header: 'SECONDARY IPS', value: (e) => e.secondaryIps },
  { header: 'IPV6', value: (e) => e.ipv6s },
];

export const callColumns: Column<CallRecord>[] = [
  { header: 'SEQ', value: (c) => c.seq },
  { header: 'TIME', value: (c) => c.time },
  { header: 'CALLER', value: (c) => c.caller },
  { header: 'AUTH', value: (c) => c.auth },
  { header: 'ACTION', value: (c) => c.action },
  { header: 'CODE', value: (c) => c.code },
  { header: 'HTTP', value: (c) => c.status },
  { header: 'MS', value: (c) => c.latencyMs },
];

export const faultColumns: Column<Fault>[] = [
  { header: 'ID', value: (f) => f.id },
  { header: 'KIND', value: (f) => f.kind },
  { header: 'ACTION', value: (f) => f.action ?? '*' },
  {
    header: 'SETTINGS',
    value: (f) => {
      const { id: _i, kind: _k, action: _a, hits: _h, calls: _c, source: _s, ...rest } = f as Fault & Record<string, unknown>;
      return Object.entries(rest)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
    },
  },
  { header: 'HITS', value: (f) => f.hits },
  { header: 'SOURCE', value: (f) => f.source },
];

export const sgColumns: Column<SgRow>[] = [
  { header: 'ID', value: (g) => g.id },
  { header: 'NAME', value: (g) => g.name },
  {
    header: 'INGRESS FROM',
    value: (g) =>
      g.ingress.length ? g.ingress.map((r) => (r.sourceGroupId ? `group ${r.sourceGroupName || r.sourceGroupId}` : r.cidrIp)).join(', ') : '(nothing)',
  },
  { header: 'ENIS', value: (g) => g.enis.length },
];
