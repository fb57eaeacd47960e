/**
 * The metadata tree of one instance, as plain-text items (paths relative to
 * `/latest/`). Item names are matched case-insensitively by the server.
 * ENIs and secondary IPs appear only once the metadata lag has passed.
 */
import type { Cloud } from '../cloud/cloud.ts';
import type { Instance } from '../cloud/types.ts';

export type Item = string | { json: unknown } | { notSupported: true };

/** The items under `network/interfaces/macs/<mac>/` for each visible ENI. */
function interfaceItems(cloud: Cloud, instance: Instance): Map<string, Record<string, Item>> {
  const out = new Map<string, Record<string, Item>>();
  for (const { eni, secondaryIps } of cloud.metadataView(instance.id)) {
    const subnet = cloud.subnets.get(eni.subnetId);
    const v4 = cloud.config.metadataPrivateIpv4sIncludesPrimary ? [eni.primaryIp, ...secondaryIps] : secondaryIps;
    out.set(eni.mac, {
      mac: eni.mac,
      network_interface_id: eni.id,
      primary_ip_address: eni.primaryIp,
      private_ipv4s: v4.join('\n'),
      gateway: subnet?.gateway ?? '',
      subnet_id: eni.subnetId,
      subnet_cidr_block: subnet?.cidr ?? '',
      vpc_id: cloud.world.vpc.id,
      vpc_cidr_block: cloud.world.vpc.cidr,
      'ipv6-gateway': { notSupported: true },
      private_ipv6s: { notSupported: true },
    });
  }
  return out;
}

export interface MetadataTree {
  items: Record<string, Item>;
  macs: Map<string, Record<string, Item>>;
}

export function metadataTree(cloud: Cloud, instance: Instance): MetadataTree {
  const primary = cloud.enis.get(instance.primaryEniId);
  return {
    items: {
      instance_id: instance.id,
      instance_name: instance.node,
      hostname: instance.node,
      instance_type: instance.typeId,
      region_id: cloud.world.region,
      availability_zone: instance.zoneId,
      zone_id: instance.zoneId,
      account_id: cloud.world.accountId,
      image_id: 'image-debian12',
      vpc_id: cloud.world.vpc.id,
      vpc_cidr_block: cloud.world.vpc.cidr,
      mac: primary?.mac ?? '',
      eip_address: '',
      'payment/charge_type': 'PostPaid',
    },
    macs: interfaceItems(cloud, instance),
  };
}

/** Role credentials in the JSON shape Cello and the SDKs read. */
export function roleCredentialsItem(cloud: Cloud, instance: Instance): Item {
  const c = cloud.credentials.roleCredentials(instance.id);
  const fmt = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    json: {
      AccessKeyId: c.accessKeyId,
      SecretAccessKey: c.secretAccessKey,
      SessionToken: c.sessionToken,
      ExpiredTime: fmt(c.expiresAt),
      CurrentTime: fmt(Date.now()),
      Code: 'Success',
    },
  };
}
