/**
 * The node lock cello-cni holds for every ADD/DEL/CHECK of a pod (an abstract
 * unix socket, see @cello/cli-kit node-lock). gc takes the same lock before
 * releasing a pod's allocation, so no CNI call for that pod runs meanwhile.
 *
 * The name must stay exactly cello-cni's `podLockName` (packages/cello-cni/
 * src/node-state.ts); test/pod-lock.test.ts checks the two agree.
 */
export function podLockName(p: { podNamespace?: string; podName?: string; containerId: string }): string {
  return p.podName ? `pod/${p.podNamespace ?? ''}/${p.podName}` : `container/${p.containerId}`;
}
