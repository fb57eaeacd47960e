/**
 * Which PodNetwork an ADD's pod is on (docs/podnetworks.md), read from the
 * node's store: cello-agent decides each pod's network when the pod is
 * scheduled here and records it before the sandbox exists, so the CNI hot
 * path never asks the Kubernetes API.
 *
 * - Not a Kubernetes pod (no K8S_POD_NAME), or no PodNetwork known on the
 *   node: the default network, at once.
 * - Otherwise the pod's decision, matched by the pod's UID when the runtime
 *   passes K8S_POD_UID (a decision for an earlier pod of the same name is not
 *   this pod's). Missing: wait up to `podNetworkWaitSec` for the agent, then
 *   fail with code 11 saying which pod and why. Never the default network by
 *   guess: a pod its network's selectors match must not land on the
 *   default network's security groups.
 */
import type { Logger } from '@cello/cli-kit';
import { type CniArgs, CniError, ErrorCode } from '@cello/cni-types';
import type { IpamStore, PodNetworkDecision } from '@cello/cello-ipam';

const POLL_MS = 100;

type Lookup = { network: string } | { missing: string };

function lookup(store: IpamStore, args: CniArgs): Lookup {
  if (!store.podNetworksInUse()) return { network: '' };
  const d: PodNetworkDecision | undefined = store.podNetworkDecision(args.podNamespace ?? '', args.podName!);
  if (!d) return { missing: 'cello-agent has recorded no pod-network decision for it' };
  if (args.podUid && d.podUid !== args.podUid)
    return { missing: `the decision recorded is for an earlier pod of that name (uid ${d.podUid}), not this one (uid ${args.podUid})` };
  return { network: d.network };
}

/** The pod's network ('' the default one), waiting up to `waitSec` for cello-agent's decision. */
export async function podNetworkFor(store: IpamStore, args: CniArgs, waitSec: number, log: Logger): Promise<string> {
  if (!args.podName) return '';
  let found = lookup(store, args);
  if ('network' in found) return found.network;
  log.warn('waiting for the pod-network decision', { why: found.missing, waitSec });
  const deadline = Date.now() + waitSec * 1000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    found = lookup(store, args);
    if ('network' in found) return found.network;
  }
  throw new CniError(
    ErrorCode.TryAgainLater,
    `pod ${args.podNamespace ?? ''}/${args.podName}: no pod network after ${waitSec}s: ${found.missing}. PodNetworks exist, so cello-agent ` +
      "decides each pod's network before its sandbox is made: is cello-agent running on this node? (`cello-ipam pod-networks` lists its decisions)",
  );
}
