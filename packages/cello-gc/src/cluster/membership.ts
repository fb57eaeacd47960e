/**
 * Which instances of the VPC exist, and which of them are nodes of this
 * cluster. A Kubernetes node is matched to its instance by `spec.providerID`
 * (`volcengine://<zone>/<instance id>`, the id is the last path segment), or
 * else by an InternalIP that is an instance's primary address.
 *
 * Node membership is only trusted when Kubernetes answered, listed at least
 * one node, and every node could be matched: a node we cannot place might own
 * any ENI, so then no ENI is judged by membership (only by its instance
 * being gone).
 */
import type { CloudInstance } from '@cello/cello-eni';
import type { NodeFacts, View } from '../kube.ts';

export interface Membership {
  /** Every instance in the VPC, by id. */
  instances: Map<string, CloudInstance>;
  /** Instance ids of the cluster's nodes; undefined when Kubernetes cannot tell. */
  nodes?: Set<string>;
  /** Why `nodes` is undefined, or how many nodes were matched. */
  note: string;
}

const INSTANCE_ID = /(i-[0-9a-z]+)\/?$/i;

export function instanceOfNode(n: NodeFacts, byPrimaryIp: Map<string, string>): string | undefined {
  const fromProvider = INSTANCE_ID.exec(n.providerId)?.[1];
  if (fromProvider) return fromProvider;
  return n.internalIps.map((ip) => byPrimaryIp.get(ip)).find(Boolean);
}

export function membership(instances: readonly CloudInstance[], nodes: View<NodeFacts>): Membership {
  const byId = new Map(instances.map((i) => [i.id, i]));
  const unknown = (note: string): Membership => ({ instances: byId, note });
  if (nodes.state === 'off') return unknown('Kubernetes not consulted: ENIs are judged only by whether their instance exists');
  if (nodes.state === 'unknown') return unknown(`Kubernetes unreachable (${nodes.why}): ENIs are judged only by whether their instance exists`);
  if (!nodes.items.length) return unknown('Kubernetes lists no nodes: not trusted; ENIs are judged only by whether their instance exists');
  const byPrimaryIp = new Map(
    instances.flatMap((i) => i.networkInterfaces.filter((n) => n.type === 'primary' && n.primaryIp).map((n) => [n.primaryIp, i.id] as const)),
  );
  const ids = new Set<string>();
  for (const n of nodes.items) {
    const id = instanceOfNode(n, byPrimaryIp);
    if (!id)
      return unknown(
        `node ${n.name} matches no instance (no providerID, no InternalIP of an instance in the VPC): ENIs are judged only by whether their instance exists`,
      );
    ids.add(id);
  }
  return { instances: byId, nodes: ids, note: `${ids.size} nodes matched to instances` };
}
