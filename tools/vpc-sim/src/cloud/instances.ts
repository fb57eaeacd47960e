/**
 * Terminating an instance (a control command; the API has no such action
 * here): its secondary ENIs are detached and become Available, as a real
 * terminated instance leaves them (unless attached with DeleteOnTermination);
 * its primary ENI is deleted with it; its node namespace is removed.
 */
import type { Cloud } from './cloud.ts';
import { releaseDevice } from './eni.ts';
import type { Instance } from './types.ts';

export async function deleteInstance(cloud: Cloud, idOrNode: string): Promise<Instance> {
  const instance = cloud.findInstance(idOrNode);
  if (!instance) throw new Error(`no instance or node named ${idOrNode}`);
  cloud.instances.delete(instance.id);
  cloud.credentials.revoke(instance.id);
  for (const eni of cloud.enisOf(instance.id)) {
    cloud.cancelPending(eni.id);
    if (eni.type === 'primary' || eni.deleteOnTermination) {
      if (eni.port) await releaseDevice(cloud, eni);
      cloud.metaHideAttach(eni);
      const pool = cloud.pools.get(eni.subnetId)!;
      for (const ip of [eni.primaryIp, ...eni.secondaryIps]) pool.v4.release(ip);
      for (const ip of eni.ipv6s) pool.v6?.release(ip);
      cloud.recordDeleted(eni);
      cloud.enis.delete(eni.id);
    } else {
      await releaseDevice(cloud, eni);
      cloud.setStatus(eni, 'Available');
    }
  }
  // The deleted ENIs' addresses no longer count as their groups' members.
  await cloud.securityGroupsChanged();
  await cloud.network((dp) => dp.removeNode(instance));
  return instance;
}
