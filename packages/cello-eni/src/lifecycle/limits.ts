/**
 * What this node may hold (docs/volcengine-api.md, Limits): the instance type's ENI
 * and per-ENI IP limits, minus the primary ENI and the ENIs someone else
 * attached (DescribeInstances counts every attached ENI; ours are the ones
 * carrying this instance's Cello tags). The device plugin's counts come from
 * `capacity`.
 */
import type { EniContext } from '../context.ts';
import type { CloudEni } from '../openapi/api.ts';
import { isOwned, ownedFilter } from './tags.ts';

export interface NodeLimits {
  instanceType: string;
  /** ENIs the type allows, the primary included. */
  maxEnis: number;
  /** IPv4s per ENI, its primary address included; the same number bounds IPv6s (the API has no IPv6 field). */
  ipsPerEni: number;
  /** ENIs attached now, the primary included. */
  attachedEnis: number;
  /** Of those, the ones Cello created for this node. */
  celloEnis: number;
  /** Attached by someone else (not the primary, not ours): they take slots from us. */
  foreignEnis: number;
  /** Secondary ENIs Cello may hold: maxEnis − 1 − foreignEnis. */
  eniSlots: number;
  /** Pods the node can serve: shared = eniSlots × ipsPerEni, exclusive = eniSlots. */
  capacity: { shared: number; exclusive: number };
}

export async function nodeLimits(ctx: Pick<EniContext, 'api' | 'identity' | 'config'>, ownedAttached?: CloudEni[]): Promise<NodeLimits> {
  const { api, identity, config } = ctx;
  const [type, instance, owned] = await Promise.all([
    api.instanceTypeLimits(identity.instanceType),
    api.describeInstance(identity.instanceId),
    ownedAttached ?? api.listEnis({ instanceId: identity.instanceId, tags: ownedFilter(config, identity.instanceId) }),
  ]);
  const ours = new Set(owned.filter((e) => e.instanceId === identity.instanceId && isOwned(config, e, identity.instanceId)).map((e) => e.id));
  const attached = instance.networkInterfaces;
  const celloEnis = attached.filter((n) => ours.has(n.id)).length;
  const foreignEnis = attached.filter((n) => n.id !== identity.primaryEniId && n.type !== 'primary' && !ours.has(n.id)).length;
  const eniSlots = Math.max(0, type.maxEnis - 1 - foreignEnis);
  return {
    instanceType: type.instanceType,
    maxEnis: type.maxEnis,
    ipsPerEni: type.ipsPerEni,
    attachedEnis: attached.length,
    celloEnis,
    foreignEnis,
    eniSlots,
    capacity: { shared: eniSlots * type.ipsPerEni, exclusive: eniSlots },
  };
}
