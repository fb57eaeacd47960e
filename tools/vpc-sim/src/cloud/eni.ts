/**
 * The ENI life cycle: Creating → Available → Attaching → InUse → Detaching →
 * Available → Deleting → gone. Each transitional state lasts its configured
 * delay; an operation asked of an ENI in the wrong state gets
 * InvalidEni.InvalidStatus. With a delay of 0 the step completes before the
 * API call returns.
 */
import { randomId, randomMac } from '../util/ids.ts';
import type { Cloud } from './cloud.ts';
import { CloudError, eniStatus, invalid } from './errors.ts';
import { checkAttachLimits, checkEniQuota } from './limits.ts';
import { takeAddresses } from './ips.ts';
import { checkEniGroups } from './security-groups.ts';
import { checkTags } from './tag-rules.ts';
import type { Eni, EniType, Tag } from './types.ts';

export interface CreateEniInput {
  subnetId: string;
  securityGroupIds: string[];
  primaryIp?: string;
  privateIps?: string[];
  secondaryCount?: number;
  ipv6s?: string[];
  ipv6Count?: number;
  name?: string;
  description?: string;
  portSecurityEnabled?: boolean;
  projectName?: string;
  tags?: Tag[];
  type?: EniType;
}

function uniqueMac(cloud: Cloud): string {
  const used = new Set([...cloud.enis.values()].map((e) => e.mac));
  let mac = randomMac();
  while (used.has(mac)) mac = randomMac();
  return mac;
}

/** Create a secondary (or trunk) ENI with its addresses; it is Available after the create delay. */
export async function createEni(cloud: Cloud, input: CreateEniInput): Promise<Eni> {
  const subnet = cloud.subnet(input.subnetId);
  checkEniGroups(cloud, input.securityGroupIds);
  const type = input.type ?? 'secondary';
  if (type !== 'secondary' && type !== 'trunk') throw invalid('Type', 'must be secondary or trunk');
  checkTags(cloud, input.tags ?? []);
  checkEniQuota(cloud);

  const now = Date.now();
  const addrs = takeAddresses(cloud, subnet.id, {
    primaryIp: input.primaryIp,
    ips: input.privateIps,
    count: input.secondaryCount,
    ipv6s: input.ipv6s,
    ipv6Count: input.ipv6Count,
    max: cloud.config.maxSecondaryIpsUnattached,
  });
  const eni: Eni = {
    id: randomId('eni'),
    seq: cloud.nextSeq(),
    name: input.name ?? '',
    description: input.description ?? '',
    type,
    status: 'Creating',
    subnetId: subnet.id,
    mac: uniqueMac(cloud),
    primaryIp: addrs.primaryIp!,
    secondaryIps: addrs.v4,
    ipv6s: addrs.v6,
    securityGroupIds: [...input.securityGroupIds],
    instanceId: '',
    deleteOnTermination: false,
    portSecurityEnabled: input.portSecurityEnabled ?? true,
    projectName: input.projectName ?? 'default',
    tags: dedupeTags(input.tags ?? []),
    createdAt: now,
    updatedAt: now,
  };
  cloud.enis.set(eni.id, eni);
  cloud.recordCreated(eni);
  const done = cloud.later(eni, 'create', async () => {
    if (cloud.enis.get(eni.id) === eni && eni.status === 'Creating') cloud.setStatus(eni, 'Available');
  });
  if (cloud.config.delaysMs.create === 0) await done;
  return eni;
}

export function dedupeTags(tags: Tag[]): Tag[] {
  const m = new Map<string, string>();
  for (const t of tags) m.set(t.Key, t.Value);
  return [...m].map(([Key, Value]) => ({ Key, Value }));
}

function refusePrimary(eni: Eni, what: string) {
  if (eni.type === 'primary') throw invalid('NetworkInterfaceId', `${eni.id} is a primary network interface, which cannot be ${what}`);
}

export async function deleteEni(cloud: Cloud, id: string): Promise<void> {
  const eni = cloud.eni(id);
  refusePrimary(eni, 'deleted');
  if (eni.status !== 'Available') throw eniStatus(id, eni.status, 'Available');
  cloud.setStatus(eni, 'Deleting');
  const done = cloud.later(eni, 'delete', async () => {
    if (cloud.enis.get(id) !== eni) return;
    const pool = cloud.pools.get(eni.subnetId)!;
    for (const ip of [eni.primaryIp, ...eni.secondaryIps]) pool.v4.release(ip);
    for (const ip of eni.ipv6s) pool.v6?.release(ip);
    cloud.recordDeleted(eni);
    cloud.enis.delete(id);
    // Its addresses no longer count as its groups' members.
    await cloud.securityGroupsChanged();
  });
  if (cloud.config.delaysMs.delete === 0) await done;
}

export async function attachEni(cloud: Cloud, id: string, instanceId: string, deleteOnTermination = false): Promise<void> {
  const eni = cloud.eni(id);
  const instance = cloud.instance(instanceId);
  refusePrimary(eni, 'attached');
  if (eni.status !== 'Available') throw eniStatus(id, eni.status, 'Available');
  const subnet = cloud.subnet(eni.subnetId);
  if (subnet.zoneId !== instance.zoneId) {
    throw new CloudError('InvalidEni.ZoneMismatch', `The network interface is in ${subnet.zoneId} but the instance is in ${instance.zoneId}.`);
  }
  checkAttachLimits(cloud, eni, instance);
  eni.instanceId = instance.id;
  eni.deleteOnTermination = deleteOnTermination;
  cloud.setStatus(eni, 'Attaching');
  const done = cloud.later(eni, 'attach', async () => {
    if (eni.status !== 'Attaching' || eni.instanceId !== instance.id) return;
    eni.port = `e${eni.seq}`;
    try {
      eni.device = await cloud.network((dp) => dp.plug(eni, instance));
      await cloud.network((dp) => dp.route(eni, [...eni.secondaryIps, eni.primaryIp, ...eni.ipv6s]));
    } catch (err) {
      // The device could not be made: the attach fails and the ENI falls back to Available.
      await cloud.network((dp) => dp.unplug(eni)).catch(() => undefined);
      delete eni.port;
      delete eni.device;
      eni.instanceId = '';
      cloud.setStatus(eni, 'Available');
      throw err;
    }
    cloud.metaShowAttach(eni, instance.id);
    cloud.setStatus(eni, 'InUse');
  });
  if (cloud.config.delaysMs.attach === 0) await done;
}

export async function detachEni(cloud: Cloud, id: string, instanceId: string): Promise<void> {
  const eni = cloud.eni(id);
  cloud.instance(instanceId);
  refusePrimary(eni, 'detached');
  if (eni.instanceId !== instanceId) {
    throw new CloudError('InvalidEni.InstanceMismatch', `The network interface ${id} is not attached to ${instanceId}.`);
  }
  if (eni.status !== 'InUse') throw eniStatus(id, eni.status, 'InUse');
  cloud.setStatus(eni, 'Detaching');
  const done = cloud.later(eni, 'detach', async () => {
    if (eni.status !== 'Detaching') return;
    await releaseDevice(cloud, eni);
    cloud.setStatus(eni, 'Available');
  });
  if (cloud.config.delaysMs.detach === 0) await done;
}

/**
 * The device of an attached ENI vanished (it was moved into a namespace that
 * was then deleted). A real NIC returns to its VM in that case: plug it into
 * the node again, with its routes.
 */
export async function deviceLost(cloud: Cloud, port: string): Promise<void> {
  const eni = [...cloud.enis.values()].find((e) => e.port === port);
  if (!eni || (eni.status !== 'InUse' && eni.status !== 'Detaching')) return;
  const instance = cloud.instances.get(eni.instanceId);
  if (!instance) return;
  eni.device = await cloud.network((dp) => dp.plug(eni, instance));
  await cloud.network((dp) => dp.route(eni, [eni.primaryIp, ...eni.secondaryIps, ...eni.ipv6s]));
}

/** Remove the ENI's device and its routes; the ENI is no longer attached anywhere. */
export async function releaseDevice(cloud: Cloud, eni: Eni): Promise<void> {
  cloud.metaHideAttach(eni);
  if (eni.port) await cloud.network((dp) => dp.unplug(eni)).catch(() => undefined);
  delete eni.port;
  delete eni.device;
  eni.instanceId = '';
  cloud.touch(eni);
}
