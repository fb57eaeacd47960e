/**
 * Quotas and per-instance-type limits.
 * - Account: at most `eniQuota` secondary/trunk ENIs (QuotaExceeded.Eni).
 * - Instance type: `maximumNetworkInterfaces` ENIs per instance, the primary
 *   included (LimitExceeded.EnisPerInstance); `maximumPrivateIpv4AddressesPerNetworkInterface`
 *   IPv4s per attached ENI, its primary address included
 *   (LimitExceeded.PrivateIpsPerEni), and as many IPv6s (LimitExceeded.Ipv6AddressesPerEni).
 * - An ENI that is not attached holds at most `maxSecondaryIpsUnattached` secondary IPv4s.
 */
import type { Cloud } from './cloud.ts';
import { CloudError } from './errors.ts';
import type { Eni, Instance } from './types.ts';

export const MAX_SECURITY_GROUPS = 5;

export function checkEniQuota(cloud: Cloud): void {
  const owned = [...cloud.enis.values()].filter((e) => e.type !== 'primary').length;
  if (owned >= cloud.config.eniQuota) {
    throw new CloudError('QuotaExceeded.Eni', `The account already has ${owned} network interfaces, its quota.`);
  }
}

/** The instance the ENI counts against, if it is attached (or attaching). */
function limitsFor(cloud: Cloud, eni: Eni) {
  const instance = eni.instanceId ? cloud.instances.get(eni.instanceId) : undefined;
  return instance ? cloud.instanceType(instance.typeId) : undefined;
}

/** Refuse adding `v4` IPv4s and `v6` IPv6s to the ENI when its limits would be passed. */
export function checkIpLimits(cloud: Cloud, eni: Eni, v4: number, v6: number): void {
  const type = limitsFor(cloud, eni);
  if (type) {
    const max = type.maximumPrivateIpv4AddressesPerNetworkInterface;
    if (1 + eni.secondaryIps.length + v4 > max) {
      throw new CloudError(
        'LimitExceeded.PrivateIpsPerEni',
        `An ENI of ${type.id} holds at most ${max} private IPv4 addresses (the primary included); it has ${1 + eni.secondaryIps.length}.`,
      );
    }
    if (eni.ipv6s.length + v6 > max) {
      throw new CloudError('LimitExceeded.Ipv6AddressesPerEni', `An ENI of ${type.id} holds at most ${max} IPv6 addresses; it has ${eni.ipv6s.length}.`);
    }
    return;
  }
  const max = cloud.config.maxSecondaryIpsUnattached;
  if (eni.secondaryIps.length + v4 > max) {
    throw new CloudError(
      'LimitExceeded.PrivateIpsPerEni',
      `An unattached ENI holds at most ${max} secondary private IPv4 addresses; it has ${eni.secondaryIps.length}.`,
    );
  }
  if (eni.ipv6s.length + v6 > max) {
    throw new CloudError('LimitExceeded.Ipv6AddressesPerEni', `An unattached ENI holds at most ${max} IPv6 addresses; it has ${eni.ipv6s.length}.`);
  }
}

export function checkAttachLimits(cloud: Cloud, eni: Eni, instance: Instance): void {
  const type = cloud.instanceType(instance.typeId);
  const attached = cloud.enisOf(instance.id).length;
  if (attached >= type.maximumNetworkInterfaces) {
    throw new CloudError(
      'LimitExceeded.EnisPerInstance',
      `Instance ${instance.id} (${type.id}) already has ${attached} network interfaces, its maximum (the primary included).`,
    );
  }
  const max = type.maximumPrivateIpv4AddressesPerNetworkInterface;
  if (1 + eni.secondaryIps.length > max) {
    throw new CloudError(
      'LimitExceeded.PrivateIpsPerEni',
      `The network interface holds ${1 + eni.secondaryIps.length} IPv4 addresses; ${type.id} allows ${max} per interface.`,
    );
  }
  if (eni.ipv6s.length > max) {
    throw new CloudError(
      'LimitExceeded.Ipv6AddressesPerEni',
      `The network interface holds ${eni.ipv6s.length} IPv6 addresses; ${type.id} allows ${max} per interface.`,
    );
  }
}
