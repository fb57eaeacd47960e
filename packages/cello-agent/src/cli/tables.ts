/** How `status`, `install` and `pod-networks --once` look on a terminal (JSON output carries every field). */
import { type Column, formatTable } from '@cello/cli-kit';
import type { BinaryInstall, ConflistInstall } from '../install/cni.ts';
import type { KeeperState } from '../keeper/state.ts';
import type { ReconcileReport } from '../pod-networks/reconcile.ts';
import type { AgentState } from '../supervisor/state.ts';

/** What `install` did: the binary, and the conflist when one was given. */
export type Installed = BinaryInstall & { conflist?: ConflistInstall };

export const installColumns: Column<Installed>[] = [
  { header: 'VERSION', value: (r) => r.version },
  { header: 'BINARY', value: (r) => r.binary },
  { header: 'CHANGED', value: (r) => r.changed },
  { header: 'CONFLIST', value: (r) => r.conflist?.path },
];

/** One row per pod a `pod-networks --once` pass decided, held back or forgot, and per fixed address it claimed or synced. */
export interface PodNetworkRow {
  pod: string;
  uid: string;
  action: 'decided' | 'held' | 'forgotten' | 'address claimed' | `address ${keyof NonNullable<ReconcileReport['fixedAddresses']>}`;
  network: string;
  reason: string;
}

export function podNetworkRows(r: ReconcileReport): PodNetworkRow[] {
  const pod = (p: { podNamespace: string; podName: string }) => `${p.podNamespace}/${p.podName}`;
  return [
    ...r.decided.map((d) => ({ pod: pod(d), uid: d.podUid, action: 'decided' as const, network: d.network || '(default)', reason: d.reason })),
    ...r.held.map((h) => ({ pod: pod(h), uid: h.podUid, action: 'held' as const, network: '-', reason: h.reason })),
    ...r.forgotten.map((f) => ({ pod: pod(f), uid: f.podUid, action: 'forgotten' as const, network: f.network || '(default)', reason: f.why })),
    ...r.claimed.map((c) => ({ pod: c.pod, uid: '', action: 'address claimed' as const, network: '-', reason: `${c.ip}, now on ${c.from}: ${c.state}` })),
    ...Object.entries(r.fixedAddresses ?? {}).flatMap(([what, entries]: [string, string[]]) =>
      entries.map((e) => {
        const [p, ip] = e.split('=') as [string, string];
        return { pod: p, uid: '', action: `address ${what}` as PodNetworkRow['action'], network: '-', reason: ip };
      }),
    ),
  ];
}

export const podNetworkColumns: Column<PodNetworkRow>[] = [
  { header: 'POD', value: (r) => r.pod },
  { header: 'ACTION', value: (r) => r.action },
  { header: 'NETWORK', value: (r) => r.network },
  { header: 'REASON', value: (r) => r.reason },
];

/** `status` on a terminal: readiness, one line per role, and the pool. */
export function statusText(agent: AgentState | undefined, keeper: KeeperState | undefined): string {
  const ready = `ready: ${agent?.ready ? `yes, since ${agent.readyAt}` : 'no'}   runtime: ${agent?.installed.runtime ?? '-'}   conflist: ${agent?.installed.conflist ?? '-'}\n`;
  const roles = formatTable(
    Object.entries(agent?.children ?? {}).map(([name, c]) => ({ name, ...c })),
    [
      { header: 'ROLE', value: (r) => r.name },
      { header: 'PID', value: (r) => r.pid },
      { header: 'RUNNING', value: (r) => r.running },
      { header: 'RESTARTS', value: (r) => r.restarts },
      { header: 'LAST EXIT', value: (r) => r.lastExit },
    ],
  );
  if (!keeper) return ready + roles;
  const p = keeper.pool;
  return `${ready}${roles}pool (${keeper.at}): free ${p.free}, used ${p.used}, total ${p.total}, target ${p.target}, targetMin ${p.targetMin}, capacity ${p.capacity}${keeper.blocked ? `; blocked: ${keeper.blocked}` : ''}\n`;
}
