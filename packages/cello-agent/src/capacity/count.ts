/**
 * How many pods the device plugin advertises (upstream Cello's pkg/deviceplugin, wired in pkg/daemon/daemon.go):
 *
 *   count = max(0, capacity − stock pods)
 *
 * - capacity: what the node can hold — shared: ENI slots × IPs per ENI;
 *   exclusive: ENI slots (ENIs the instance type allows, minus the primary
 *   and ENIs others attached). The keeper computes it from the instance's
 *   limits and writes it to keeper.json; the reporter reads it there, so it
 *   needs no cloud access of its own.
 * - stock pods: pods on this node that hold a Cello IP (an allocation in
 *   cello-ipam) but request none of the extended resources — they use
 *   capacity the scheduler cannot see, so it is taken off. Host-network
 *   pods never hold one.
 */
import type { V1Pod } from '@kubernetes/client-node';

export const RESOURCE_SHARED = 'vke.volcengine.com/eni-ip';
export const RESOURCE_EXCLUSIVE = 'vke.volcengine.com/eni';
export const RESOURCE_BRANCH = 'vke.volcengine.com/branch-eni';
const ALL_RESOURCES = [RESOURCE_SHARED, RESOURCE_EXCLUSIVE, RESOURCE_BRANCH];

export const resourceFor = (mode: 'shared' | 'exclusive') => (mode === 'exclusive' ? RESOURCE_EXCLUSIVE : RESOURCE_SHARED);

/** Does any container of the pod request (or limit) one of Cello's extended resources? */
export function requestsCelloResource(pod: V1Pod): boolean {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  return containers.some((c) => ALL_RESOURCES.some((r) => c.resources?.requests?.[r] !== undefined || c.resources?.limits?.[r] !== undefined));
}

/** Pods holding a Cello allocation without asking the scheduler for the resource. */
export function stockPods(pods: readonly V1Pod[], allocated: ReadonlySet<string>): V1Pod[] {
  return pods.filter((p) => !p.spec?.hostNetwork && allocated.has(`${p.metadata?.namespace}/${p.metadata?.name}`) && !requestsCelloResource(p));
}

export function deviceCount(capacity: number, stock: number): number {
  return Math.max(0, capacity - stock);
}
