/**
 * The pod networks' pools (docs/podnetworks.md): after the default pool, each
 * round gives every PodNetwork with pods on this node ENIs of its own — made
 * in the network's subnets with its security groups, tagged with its name —
 * so a pod of that network gets a secondary IP of such an ENI (many pods per
 * ENI in shared mode; one ENI per pod in exclusive mode).
 *
 * Per network, from cello-ipam (cello-agent records the decisions, cello-cni
 * the allocations and demands):
 * - in use: some pod of this node is decided for it, or holds one of its IPs.
 *   Its target is the pods decided and not yet allocated (or, if more, the
 *   ADDs waiting), plus `podNetworkPoolTarget` ready ones. Short of that:
 *   assign IPs to its ENI with the most room, else create an ENI.
 * - not in use (no pod here any more, or the PodNetwork is gone and nothing
 *   holds its IPs): every idle ENI and free IP of it goes back to the cloud.
 *
 * A Fixed network's pods keep their addresses across nodes: an address
 * moving here is brought over first (fixed-ips.ts).
 *
 * Subnets are the network's `subnets.ids` and the VPC's subnets carrying
 * all its `subnets.tags` (looked up when the pool grows, so a subnet tagged
 * later joins); the picker takes the one in this zone with most free IPs.
 */
import type { Allocation, IpamStore, Stats, SurplusDoc } from '@cello/cello-ipam';
import type { PodNetworkRecord } from '@cello/records';
import { assignIps } from '../lifecycle/ips.ts';
import type { NodeLimits } from '../lifecycle/limits.ts';
import { SubnetPicker } from '../lifecycle/subnets.ts';
import { StoppedError } from '../util/sleep.ts';
import type { KeeperContext } from './context.ts';
import { createOne, giveBack } from './fill.ts';
import { bringFixedIps } from './fixed-ips.ts';
import { MAX_IPS_PER_CREATE } from './plan.ts';

export interface NetworkRound {
  network: string;
  /** Pods decided for it and not yet allocated, or the ADDs waiting if more. */
  waiting: number;
  /** What it can serve now, before the round. */
  available: number;
  target: number;
  /** Units added: IPs assigned or on new ENIs (ENIs in exclusive mode). */
  added: number;
  /** ENIs made for it (fill.ts createOne fills these two). */
  created: string[];
  /** What went back to the cloud. */
  released: SurplusDoc['enis'];
  /** Why it could not grow, when it could not. */
  blocked?: string;
}

interface Need {
  network: string;
  spec?: PodNetworkRecord['spec'];
  inUse: boolean;
  waiting: number;
  available: number;
}

/** Each network this node has a pod, an ENI or a demand of, with what it needs (pure: for the round and for waking the keeper). */
export function networkNeeds(store: Pick<IpamStore, 'podNetworks' | 'podNetworkDecisions' | 'allocations'>, stats: Pick<Stats, 'podNetworks'>): Need[] {
  const specs = new Map(store.podNetworks().map((n) => [n.name, n.spec]));
  const decisions = store.podNetworkDecisions().filter((d) => d.network);
  const allocations = store.allocations().filter((a): a is Allocation & { podNetwork: string } => Boolean(a.podNetwork));
  const names = new Set([...decisions.map((d) => d.network), ...allocations.map((a) => a.podNetwork), ...Object.keys(stats.podNetworks)]);
  return [...names].sort().map((network) => {
    const held = new Set(allocations.filter((a) => a.podNetwork === network).map((a) => `${a.podNamespace}/${a.podName}`));
    const pods = decisions.filter((d) => d.network === network);
    const s = stats.podNetworks[network] ?? { available: 0, demand: 0, enis: 0 };
    const pending = pods.filter((d) => !held.has(`${d.podNamespace}/${d.podName}`)).length;
    return {
      network,
      spec: specs.get(network),
      inUse: pods.length > 0 || held.size > 0,
      waiting: Math.max(pending, s.demand),
      available: s.available,
    };
  });
}

/** A network's subnets: its ids, and those of this VPC carrying all its tags (asked each time the pool grows, so new subnets join). */
async function subnetsOf(k: KeeperContext, spec: PodNetworkRecord['spec']): Promise<string[]> {
  const ids = [...(spec.subnets.ids ?? [])];
  const tags = Object.entries(spec.subnets.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
  if (tags.length) for (const s of await k.api.describeSubnetsByTags(tags, k.identity.vpcId)) if (!ids.includes(s.id)) ids.push(s.id);
  return ids.sort();
}

/** Whether the node has anything of a pod network (a PodNetwork known, or an ENI of one): a node without pays nothing for them. */
export const hasPodNetworks = (store: Pick<IpamStore, 'podNetworksInUse' | 'enis'>): boolean =>
  store.podNetworksInUse() || store.enis().some((e) => e.podNetwork);

/** Pickers over each network's subnets, kept across rounds (their describes and hold-offs are cached). */
const pickers = new WeakMap<KeeperContext, Map<string, SubnetPicker>>();

function pickerFor(k: KeeperContext, subnetIds: string[]): SubnetPicker {
  const byKey = pickers.get(k) ?? new Map<string, SubnetPicker>();
  pickers.set(k, byKey);
  const key = subnetIds.join(',');
  let p = byKey.get(key);
  if (!p) {
    const ctx = { ...k, config: { ...k.config, subnets: subnetIds } };
    p = new SubnetPicker(ctx);
    byKey.set(key, p);
  }
  return p;
}

/** Add `toAdd` units to a network: IPs on its ENI with the most room (shared), else new ENIs. */
async function grow(k: KeeperContext, need: Need & { spec: PodNetworkRecord['spec'] }, toAdd: number, limits: NodeLimits, round: NetworkRound) {
  const { network, spec } = need;
  const exclusive = spec.mode === 'exclusive';
  const v6 = k.config.ipFamily !== 'ipv4';
  let left = toAdd;
  if (!exclusive) {
    const stats = k.store.stats().enis.filter((e) => e.podNetwork === network && !e.releasing);
    const roomy = stats.map((e) => ({ e, room: limits.ipsPerEni - e.ipv4.total })).sort((a, b) => b.room - a.room)[0];
    if (roomy && roomy.room > 0) {
      const rec = k.store.enis().find((e) => e.id === roomy.e.id)!;
      const n = Math.min(roomy.room, left);
      const added = await assignIps(k, rec, n, v6 ? n : 0);
      k.store.import({ enis: [{ ...rec, ips: added.ips, ipv6s: added.ipv6s }] });
      round.added += n;
      left -= n;
    }
  }
  if (left <= 0) return;
  const subnetIds = await subnetsOf(k, spec);
  if (!subnetIds.length) {
    round.blocked = `podnetwork ${network} names no subnet the cloud has (ids ${JSON.stringify(spec.subnets.ids ?? [])}, tags ${JSON.stringify(spec.subnets.tags ?? {})})`;
    return;
  }
  const target = { picker: pickerFor(k, subnetIds), podNetwork: { name: network, securityGroupIds: spec.securityGroupIds, mode: spec.mode } };
  while (left > 0) {
    if (limits.eniSlots - k.store.enis().length <= 0) {
      round.blocked = `no ENI slot left on this node (${limits.eniSlots} for Cello) for podnetwork ${network}`;
      return;
    }
    const count = exclusive ? 1 : Math.min(limits.ipsPerEni, MAX_IPS_PER_CREATE, left);
    await createOne(k, { ipv4Count: count, ipv6Count: v6 ? count : 0, units: exclusive ? 1 : count }, round, target);
    left -= exclusive ? 1 : count;
  }
}

/** One pass over every pod network: grow the ones in use to their targets, give back the ones not in use. */
export async function runNetworkRounds(k: KeeperContext, limits: NodeLimits, errors: string[]): Promise<NetworkRound[]> {
  const rounds: NetworkRound[] = [];
  if (!hasPodNetworks(k.store)) return rounds;
  // Fixed addresses first: moving one here may make the ENI its network's pool then counts.
  await bringFixedIps(k, limits, (ids) => pickerFor(k, ids), errors);
  for (const need of networkNeeds(k.store, k.store.stats())) {
    const target = need.inUse ? need.waiting + k.config.podNetworkPoolTarget : 0;
    const round: NetworkRound = { network: need.network, waiting: need.waiting, available: need.available, target, added: 0, created: [], released: [] };
    rounds.push(round);
    try {
      if (!need.inUse) {
        const released = { enis: round.released };
        await giveBack(k, k.store.surplus({ keep: 0, podNetwork: need.network }), released, errors);
      } else if (!need.spec) {
        // Deleted with pods still on it: they keep their addresses; only a pod still waiting for one is stuck.
        if (need.waiting > 0) {
          round.blocked = `podnetwork ${need.network} is not known on this node (deleted, or cello-agent has not recorded it): ${need.waiting} pod(s) wait for an address of it`;
        }
      } else if (target > need.available) {
        k.log.info('filling a pod network', { podNetwork: need.network, waiting: need.waiting, available: need.available, target });
        await grow(k, { ...need, spec: need.spec }, target - need.available, limits, round);
      }
    } catch (err) {
      if (k.signal?.aborted || err instanceof StoppedError) throw err;
      round.blocked ??= (err as Error).message;
      errors.push(`podnetwork ${need.network}: ${(err as Error).message}`);
      k.log.error('a pod network pool could not be filled', { podNetwork: need.network, error: err });
    }
    if (round.blocked) k.log.warn('a pod network pool cannot grow', { podNetwork: need.network, why: round.blocked });
  }
  return rounds;
}
