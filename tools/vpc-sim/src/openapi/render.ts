/**
 * The sim's resources in the API's wire shapes (field names and spellings as
 * docs/volcengine-api.md gives them, e.g. `IPv6Sets`, `PrivateIpSets.PrivateIpSet[]`
 * with the primary flagged, `DeviceId` empty when not attached).
 */
import type { Cloud } from '../cloud/cloud.ts';
import type { Eni, Instance, InstanceType, Subnet } from '../cloud/types.ts';
import { rfc3339 } from '../util/time.ts';

export function renderEni(cloud: Cloud, e: Eni): Record<string, unknown> {
  const subnet = cloud.subnets.get(e.subnetId);
  const ip = (address: string, primary: boolean) => ({
    PrivateIpAddress: address,
    Primary: primary,
    AssociatedElasticIp: { AllocationId: '', EipAddress: '', ReleaseWithInstance: false },
  });
  return {
    NetworkInterfaceId: e.id,
    NetworkInterfaceName: e.name,
    Description: e.description,
    AccountId: cloud.world.accountId,
    ProjectName: e.projectName,
    VpcId: cloud.world.vpc.id,
    VpcName: cloud.world.vpc.name,
    SubnetId: e.subnetId,
    ZoneId: subnet?.zoneId ?? cloud.world.zoneId,
    MacAddress: e.mac,
    PrimaryIpAddress: e.primaryIp,
    PrivateIpSets: { PrivateIpSet: [ip(e.primaryIp, true), ...e.secondaryIps.map((a) => ip(a, false))] },
    IPv6Sets: [...e.ipv6s],
    SecurityGroupIds: [...e.securityGroupIds],
    Status: e.status,
    Type: e.type,
    DeviceId: e.instanceId,
    Attachment: e.instanceId ? { InstanceId: e.instanceId, DeleteOnTermination: e.deleteOnTermination } : {},
    Tags: e.tags.map((t) => ({ Key: t.Key, Value: t.Value })),
    PortSecurityEnabled: e.portSecurityEnabled,
    ServiceManaged: false,
    AssociatedElasticIp: { AllocationId: '', EipAddress: '', ReleaseWithInstance: false },
    CreatedAt: rfc3339(e.createdAt),
    UpdatedAt: rfc3339(e.updatedAt),
  };
}

export function renderSubnet(cloud: Cloud, s: Subnet): Record<string, unknown> {
  const pools = cloud.pools.get(s.id)!;
  return {
    SubnetId: s.id,
    SubnetName: s.name,
    VpcId: cloud.world.vpc.id,
    ZoneId: s.zoneId,
    CidrBlock: s.cidr,
    Ipv6CidrBlock: s.cidrV6 ?? '',
    AvailableIpAddressCount: Number(pools.v4.available),
    TotalIpv4Count: Number(pools.v4.capacity),
    Status: 'Available',
    NetworkAclId: '',
    RouteTable: { RouteTableId: `vtb-${cloud.world.vpc.id.slice(4)}`, RouteTableType: 'System' },
    AccountId: cloud.world.accountId,
    ProjectName: 'default',
    IsDefault: false,
    Description: '',
    CreationTime: rfc3339(s.createdAt),
    UpdateTime: rfc3339(s.createdAt),
    Tags: (s.tags ?? []).map((t) => ({ Key: t.Key, Value: t.Value })),
  };
}

export function renderInstance(cloud: Cloud, i: Instance): Record<string, unknown> {
  const type = cloud.instanceType(i.typeId);
  return {
    InstanceId: i.id,
    InstanceName: i.node,
    Hostname: i.node,
    HostName: i.node,
    InstanceTypeId: i.typeId,
    Status: 'RUNNING',
    VpcId: cloud.world.vpc.id,
    ZoneId: i.zoneId,
    Cpus: type.cpus,
    MemorySize: type.memoryMb,
    OsType: 'Linux',
    OsName: 'Debian 12',
    ImageId: 'image-debian12',
    ProjectName: 'default',
    Tags: [],
    CreatedAt: rfc3339(i.createdAt),
    UpdatedAt: rfc3339(i.createdAt),
    NetworkInterfaces: cloud.enisOf(i.id).map((e) => ({
      NetworkInterfaceId: e.id,
      MacAddress: e.mac,
      PrimaryIpAddress: e.primaryIp,
      SubnetId: e.subnetId,
      VpcId: cloud.world.vpc.id,
      Type: e.type,
      SecurityGroupIds: [...e.securityGroupIds],
      Ipv6Addresses: [...e.ipv6s],
    })),
  };
}

export function renderInstanceType(t: InstanceType): Record<string, unknown> {
  return {
    InstanceTypeId: t.id,
    InstanceTypeFamily: t.id.split('.').slice(0, 2).join('.'),
    Processor: { Cpus: t.cpus, Model: 'Simulated CPU', BaseFrequency: 2.4, TurboFrequency: 3.3 },
    Memory: { Size: t.memoryMb, EncryptedSize: 0 },
    Network: {
      MaximumNetworkInterfaces: t.maximumNetworkInterfaces,
      MaximumPrivateIpv4AddressesPerNetworkInterface: t.maximumPrivateIpv4AddressesPerNetworkInterface,
      MaximumQueuesPerNetworkInterface: Math.max(1, t.cpus),
      MaximumBandwidthMbps: 1000 * t.cpus,
      BaselineBandwidthMbps: 500 * t.cpus,
      MaximumThroughputKpps: 100 * t.cpus,
    },
    Rdma: { RdmaNetworkInterfaces: 0 },
    Volume: { SupportedVolumeTypes: ['ESSD_PL0'], MaximumCount: 16 },
    LocalVolumes: [],
    IsSupportJumboFrame: false,
    // Undocumented fields Cello reads through its own struct.
    TrunkNetworkInterfaceSupported: false,
    NetworkInterfaceTotalNumQuota: t.maximumNetworkInterfaces,
    NetworkInterfaceNumQuota: t.maximumNetworkInterfaces,
    PrivateIpQuota: t.maximumPrivateIpv4AddressesPerNetworkInterface,
  };
}
