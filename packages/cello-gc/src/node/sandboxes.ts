/**
 * Step 1 of the node sweep: allocations whose sandbox is gone.
 *
 * An allocation's sandbox is gone when its netns path no longer names a
 * network namespace (missing, or a plain file a crashed runtime left; see
 * cello-link's netns.ts) AND
 * nothing says it still lives:
 * - the runtime's valid attachments (when given) do not list it — the
 *   runtime is the authority on its own sandboxes; else
 * - Kubernetes says its pod is not on this node (or has finished), or that
 *   the pod has a newer sandbox here (another allocation of the same pod
 *   whose netns exists); an allocation without a pod name needs no pod.
 * Kubernetes unreachable counts as "it may live": such allocations are
 * reported and kept. A netns that exists always means "alive".
 *
 * A gone allocation is released after the grace period (counted from when gc
 * first saw it gone, and never less than its own age), holding the pod's node
 * lock — the lock every CNI ADD/DEL/CHECK of that pod holds — so no CNI call
 * can run for the pod meanwhile. Release = cello-link teardown (host veth,
 * routes, rules; idempotent) then cello-ipam release: a crash in between
 * leaves the allocation, which the next run finds again.
 */
import { dirname } from 'node:path';
import { podLockName, tryLock } from '@cello/cli-kit';
import type { Allocation, IpamStore } from '@cello/cello-ipam';
import { isPodNetns, teardown } from '@cello/cello-link';
import type { PodFacts, View } from '../kube.ts';
import { type Ledger, register, settle, Skip, skipped } from '../ledger.ts';

export interface SandboxEvidence {
  pods: View<PodFacts>;
  /** `containerId/ifname` of every attachment the runtime says is valid, when it was asked. */
  runtime?: Set<string>;
  netnsExists(path: string): boolean;
}

export const attachmentKey = (a: { containerId: string; ifname: string }) => `${a.containerId}/${a.ifname}`;
const tripleOf = (a: Allocation) => `${a.network}/${a.containerId}/${a.ifname}`;
const podOf = (a: Allocation) => `${a.podNamespace}/${a.podName}`;
const FINISHED = new Set(['Succeeded', 'Failed']);

export type Verdict = { gone: true; reason: string } | { gone: false; reason?: string };

/** Is this allocation's sandbox gone? `reason` explains a gone verdict, or why a missing netns is not enough. */
export function sandboxVerdict(a: Allocation, all: readonly Allocation[], e: SandboxEvidence): Verdict {
  if (e.netnsExists(a.netns)) return { gone: false };
  if (e.runtime?.has(attachmentKey(a))) return { gone: false, reason: `netns ${a.netns} is gone but the runtime lists the attachment` };
  const netns = `netns ${a.netns} is gone`;
  if (e.runtime) return { gone: true, reason: `${netns}; the runtime does not list the attachment` };
  if (!a.podName) return { gone: true, reason: `${netns}; no pod owns it` };
  if (e.pods.state === 'off') return { gone: true, reason: `${netns} (Kubernetes not consulted)` };
  if (e.pods.state === 'unknown') return { gone: false, reason: `${netns} but Kubernetes is unreachable, so pod ${podOf(a)} may still live` };
  const pod = e.pods.items.find((p) => p.namespace === a.podNamespace && p.name === a.podName && !FINISHED.has(p.phase));
  if (!pod) return { gone: true, reason: `${netns}; pod ${podOf(a)} is not running on this node` };
  const newer = all.find(
    (b) => b !== a && b.network === a.network && b.ifname === a.ifname && podOf(b) === podOf(a) && b.containerId !== a.containerId && e.netnsExists(b.netns),
  );
  if (newer) return { gone: true, reason: `${netns}; pod ${podOf(a)} has a newer sandbox (${newer.containerId.slice(0, 12)})` };
  return { gone: false, reason: `${netns} but pod ${podOf(a)} is still on this node (its sandbox is being re-created)` };
}

export async function sweepSandboxes(l: Ledger, store: IpamStore, e: SandboxEvidence, datapath: 'auto' | 'ipvlan' | 'veth'): Promise<void> {
  const all = store.allocations();
  for (const a of all) {
    const v = sandboxVerdict(a, all, e);
    const candidate = {
      kind: 'allocation' as const,
      id: `${tripleOf(a)} ${a.ipv4 ?? ''}${a.ipv6 ? ` ${a.ipv6}` : ''}`.trim(),
      reason: v.reason ?? '',
      action: 'release',
    };
    if (!v.gone) {
      if (v.reason) skipped(l, candidate, 'not proven gone');
      continue;
    }
    // The grace counts from the later of first seen and the allocation itself (an ADD may still be finishing).
    const { finding, due } = register(l, { ...candidate, key: `allocation:${tripleOf(a)}`, since: new Date(a.allocatedAt) });
    await settle(l, finding, due, () => release(store, a, datapath, l));
  }
  l.seen.finish('allocation:');
}

async function release(store: IpamStore, a: Allocation, datapath: 'auto' | 'ipvlan' | 'veth', l: Ledger): Promise<void> {
  const lock = await tryLock(dirname(store.path), podLockName(a));
  if (!lock) throw new Skip(`a CNI call for ${podLockName(a)} is in flight`);
  try {
    // A last look under the lock: still the same allocation, its netns still gone.
    const now = store.allocation(a);
    if (!now || now.allocatedAt !== a.allocatedAt) throw new Skip('the allocation changed while gc looked at it');
    if (isPodNetns(a.netns)) throw new Skip(`netns ${a.netns} exists again`);
    await teardown(a, { datapath, log: l.log });
    store.release(a);
  } finally {
    lock.release();
  }
}
