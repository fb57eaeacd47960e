/**
 * What the verbs share: the store (cello-ipam, in-process), the pod's keys,
 * and the mapping of library errors to CNI error codes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type NodeLock, podLockName, waitLock } from '@cello/cli-kit';
import { asCniError, type Call, CniError, ErrorCode } from '@cello/cni-types';
import { type Allocation, type AllocationKey, DB_FILE, type IpamStore, InvalidInputError, openStore } from '@cello/cello-ipam';
import { inspectNetns, type LinkAllocation, netnsProblem } from '@cello/cello-link';
import type { CelloNetConf } from './netconf.ts';

/** The CNI triple of this call. */
export function allocationKey(call: Call): AllocationKey {
  return { network: call.conf.conf.name, containerId: call.env.containerId, ifname: call.env.ifname };
}

/** How messages name the pod of a call: `pod ns/name`, or `container <id>` when the runtime sent no pod name. */
export function podLabel(p: { podNamespace?: string; podName?: string; containerId: string }): string {
  return p.podName ? `pod ${p.podNamespace ?? ''}/${p.podName}` : `container ${p.containerId}`;
}

/** How long a call waits for another ADD/DEL/CHECK of the same pod to finish. */
export const POD_LOCK_WAIT_MS = 20_000;

/** Take this call's pod lock (in the node's state directory), or fail with code 11 (try again later). */
export async function lockCall(call: Call, stateDir: string): Promise<NodeLock> {
  const name = podLockName({ podNamespace: call.env.args.podNamespace, podName: call.env.args.podName, containerId: call.env.containerId });
  const lock = await waitLock(stateDir, name, POD_LOCK_WAIT_MS);
  if (!lock) throw new CniError(ErrorCode.TryAgainLater, `another CNI call for ${name} is still running; try again later`);
  return lock;
}

/**
 * ADD and CHECK act inside CNI_NETNS: it must be a pod's network namespace —
 * not missing, not a plain file or another kind of namespace, not the node's
 * own (which `/proc/self/ns/net` or a `..` path would reach). Code 4 otherwise.
 */
export function requirePodNetns(netns: string): void {
  const problem = netnsProblem(netns, inspectNetns(netns));
  if (problem) throw new CniError(ErrorCode.InvalidEnvironment, `CNI_NETNS: ${problem}`);
}

export function storeExists(cfg: CelloNetConf): boolean {
  return existsSync(join(cfg.stateDir, DB_FILE));
}

/** Open cello-ipam's store; a broken or unreadable store is a CNI I/O failure (code 5). */
export function openNodeStore(cfg: CelloNetConf): IpamStore {
  try {
    return openStore({ stateDir: cfg.stateDir });
  } catch (err) {
    throw new CniError(ErrorCode.IoFailure, `cannot open the IPAM store in ${cfg.stateDir}: ${(err as Error).message}`);
  }
}

/** The allocation in the shape cello-link reads; an allocation whose ENI is gone cannot be programmed. */
export function forLink(a: Allocation): LinkAllocation {
  if (!a.eni) {
    throw new CniError(ErrorCode.Internal, `the ENI of ${a.ipv4 ?? a.ipv6} is no longer known to this node (cello-ipam show ${a.containerId})`);
  }
  return { ...a, eni: a.eni };
}

/** Library errors as CNI errors: cello-ipam's bad input 7, the rest as cni-types maps them (999 with the message). */
export function asCni(err: unknown): CniError {
  if (err instanceof InvalidInputError) return new CniError(ErrorCode.InvalidNetworkConfig, err.message);
  return asCniError(err);
}
