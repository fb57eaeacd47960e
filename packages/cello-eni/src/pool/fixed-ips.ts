/**
 * Moving fixed addresses to this node (docs/podnetworks.md, "Fixed
 * addresses"). cello-agent marks a pod's address `incoming` when its
 * PodAddress says the address is on another ENI (another node's, or one
 * left behind by a node that died); the keeper then, for each:
 *
 * 1. forgets a stale copy in this node's store (the address was here once,
 *    and another node has taken it since; the reconcile may not have
 *    noticed yet);
 * 2. asks the cloud which ENI holds it (DescribeNetworkInterfaces by
 *    PrivateIpAddresses: the ENI the PodAddress names is only a hint, it may
 *    have moved on since and not been republished yet). On an ENI of ours
 *    already: imported, nothing else to do. On an ENI of the same network
 *    (the tag says so): unassigned from there. On any other ENI: refused,
 *    it is not this pod's address any more. On none: nothing to take back;
 * 3. assigns it (`PrivateIpAddress.1`) to an ENI of this node in the same
 *    network and subnet with room, making one in that subnet if none has;
 * 4. imports it and marks it `here`, so the pod's ADD gets it and the agent
 *    writes the PodAddress.
 *
 * Unassign comes before assign, and the cloud refuses an address that is
 * in use, so an address is never on two ENIs. A failure leaves the row
 * `incoming` for the next round (keeper.ts wakes for a claimed address, and
 * for the waiting ADD's demand).
 */
import { randomUUID } from 'node:crypto';
import type { FixedIp } from '@cello/cello-ipam';
import { cidrContains, type PodNetworkRecord } from '@cello/records';
import { unassignIps, waitMetadataIps } from '../lifecycle/ips.ts';
import { podNetworkOf } from '../lifecycle/tags.ts';
import type { NodeLimits } from '../lifecycle/limits.ts';
import type { SubnetPicker } from '../lifecycle/subnets.ts';
import type { KeeperContext } from './context.ts';
import { createOne } from './fill.ts';

/** Move every `incoming` address this node can serve; failures are collected in `errors`. */
export async function bringFixedIps(k: KeeperContext, limits: NodeLimits, pickerFor: (subnetIds: string[]) => SubnetPicker, errors: string[]): Promise<void> {
  const specs = new Map(k.store.podNetworks().map((n) => [n.name, n.spec]));
  for (const f of k.store.fixedIps().filter((x) => x.state === 'incoming')) {
    const spec = specs.get(f.podNetwork);
    if (!spec) continue; // a network this node no longer knows: no pod here can be decided for it
    try {
      await bringOne(k, f, spec, limits, pickerFor);
    } catch (err) {
      errors.push(`fixed address ${f.ip} of ${f.podNamespace}/${f.podName}: ${(err as Error).message}`);
      k.log.error('a fixed address could not be moved to this node', { pod: `${f.podNamespace}/${f.podName}`, ip: f.ip, from: f.fromEni, error: err });
    }
  }
}

async function bringOne(
  k: KeeperContext,
  f: FixedIp,
  spec: PodNetworkRecord['spec'],
  limits: NodeLimits,
  pickerFor: (subnetIds: string[]) => SubnetPicker,
): Promise<void> {
  const pod = `${f.podNamespace}/${f.podName}`;
  if (f.eniId) k.store.forget({ enis: [{ id: f.eniId, ips: [f.ip], ipv6s: [], whole: false }] });
  // Where the cloud has it now: the ENI the PodAddress named may be stale (moved on since, not yet republished).
  const [holder] = await k.api.listEnis({ vpcId: k.identity.vpcId, privateIps: [f.ip] });
  if (holder && holder.primaryIp === f.ip) throw new Error(`${f.ip} is the primary address of ${holder.id}: it cannot be moved`);
  const mine = holder && holder.instanceId === k.identity.instanceId && k.store.enis().find((e) => e.id === holder.id && e.podNetwork === f.podNetwork);
  if (mine) {
    // Already on an ENI of ours (it never left, or came back): only the store was behind.
    k.store.import({ enis: [{ ...mine, ips: [f.ip] }] });
    k.store.advanceFixedIp(f.podNamespace, f.podName, f.ip, 'incoming', 'here');
    k.log.info('a fixed address is already on an ENI of this node', { pod, ip: f.ip, eni: mine.id });
    return;
  }
  if (holder) {
    // Only from an ENI of the same network: anything else holding it is not this pod's address any more.
    if (podNetworkOf(holder) !== f.podNetwork) {
      throw new Error(
        `${f.ip} is on ${holder.id}, which is not an ENI of podnetwork ${f.podNetwork}: not taking it (delete the pod's PodAddress to give it a new address)`,
      );
    }
    await unassignIps(k, { id: holder.id, mac: '' }, [f.ip], [], { waitMetadata: false });
  }

  let eni = roomyEni(k, f, limits);
  if (!eni) {
    if (!f.subnetId) throw new Error(`no ENI of podnetwork ${f.podNetwork} here is in the address's subnet, and its PodAddress names no subnet to make one in`);
    if (limits.eniSlots - k.store.enis().length <= 0)
      throw new Error(`no ENI slot left on this node (${limits.eniSlots} for Cello) for an ENI in ${f.subnetId}`);
    const target = { picker: pickerFor([f.subnetId]), podNetwork: { name: f.podNetwork, securityGroupIds: spec.securityGroupIds, mode: spec.mode } };
    await createOne(k, { ipv4Count: 1, ipv6Count: 0, units: 1 }, { created: [], added: 0 }, target);
    eni = roomyEni(k, f, limits);
    if (!eni) throw new Error(`the new ENI in ${f.subnetId} has no room for ${f.ip}`);
  }
  await k.api.assignIpv4Addresses(eni.id, [f.ip], randomUUID());
  await waitMetadataIps(k, eni, [f.ip], []);
  k.store.import({ enis: [{ ...eni, ips: [f.ip] }] });
  k.store.advanceFixedIp(f.podNamespace, f.podName, f.ip, 'incoming', 'here');
  k.log.info('moved a fixed address to this node', { pod, ip: f.ip, from: holder?.id, to: eni.id });
}

/** An active shared ENI of the address's network, in its subnet, with room for one more IPv4. */
function roomyEni(k: KeeperContext, f: FixedIp, limits: NodeLimits) {
  const room = new Set(
    k.store
      .stats()
      .enis.filter((e) => !e.releasing && e.ipv4.total < limits.ipsPerEni)
      .map((e) => e.id),
  );
  return k.store.enis().find((e) => room.has(e.id) && e.podNetwork === f.podNetwork && e.mode === 'shared' && cidrContains(e.subnetCidr, f.ip));
}
