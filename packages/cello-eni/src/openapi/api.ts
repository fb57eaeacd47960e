/**
 * The actions Cello uses, typed: requests built with the parameter names of
 * docs/volcengine-api.md, results normalised to plain records (ENIs with
 * their secondary IPs split from the primary, subnets, instance-type limits).
 * Paging is followed to the end with the cursor (MaxResults/NextToken): page
 * numbers skip or repeat items when ENIs come and go between pages. Nothing
 * here retries or waits beyond what the client does; the lifecycle composes
 * these.
 */
import type { CallOptions, CallResult, OpenApiClient } from './client.ts';
import { OpenApiError } from './errors.ts';

export type EniStatus = 'Creating' | 'Available' | 'Attaching' | 'InUse' | 'Detaching' | 'Deleting';

export interface Tag {
  Key: string;
  Value: string;
}

export interface CloudEni {
  id: string;
  mac: string;
  status: EniStatus;
  type: string;
  subnetId: string;
  zoneId: string;
  vpcId: string;
  primaryIp: string;
  /** Secondary IPv4s (the primary is not listed). */
  ips: string[];
  ipv6s: string[];
  securityGroupIds: string[];
  /** The instance it is attached to, or "". */
  instanceId: string;
  tags: Record<string, string>;
  description: string;
  createdAt: string;
  updatedAt: string;
}

export interface CloudSubnet {
  id: string;
  name: string;
  vpcId: string;
  zoneId: string;
  cidr: string;
  cidrV6: string;
  availableIps: number;
  totalIps: number;
}

export interface InstanceTypeLimits {
  instanceType: string;
  /** ENIs an instance may have, the primary included. */
  maxEnis: number;
  /** IPv4s per ENI, the primary address included; also used for IPv6 (the API has no IPv6 field). */
  ipsPerEni: number;
}

export interface CloudInstance {
  id: string;
  zoneId: string;
  vpcId: string;
  networkInterfaces: Array<{ id: string; mac: string; type: string; primaryIp: string }>;
}

// biome-ignore lint/suspicious/noExplicitAny: an API answer before it is read field by field
type Any = any;

export function toEni(e: Any): CloudEni {
  const set: Any[] = e.PrivateIpSets?.PrivateIpSet ?? [];
  const primaryIp = String(e.PrimaryIpAddress ?? set.find((s) => s.Primary)?.PrivateIpAddress ?? '');
  return {
    id: String(e.NetworkInterfaceId),
    mac: String(e.MacAddress ?? '').toLowerCase(),
    status: e.Status,
    type: String(e.Type ?? ''),
    subnetId: String(e.SubnetId ?? ''),
    zoneId: String(e.ZoneId ?? ''),
    vpcId: String(e.VpcId ?? ''),
    primaryIp,
    ips: set.filter((s) => !s.Primary && s.PrivateIpAddress !== primaryIp).map((s) => String(s.PrivateIpAddress)),
    ipv6s: (e.IPv6Sets ?? []).map(String),
    securityGroupIds: (e.SecurityGroupIds ?? []).map(String),
    instanceId: String(e.DeviceId || e.Attachment?.InstanceId || ''),
    tags: Object.fromEntries((e.Tags ?? []).map((t: Tag) => [t.Key, t.Value])),
    description: String(e.Description ?? ''),
    createdAt: String(e.CreatedAt ?? ''),
    updatedAt: String(e.UpdatedAt ?? ''),
  };
}

function toSubnet(s: Any): CloudSubnet {
  return {
    id: String(s.SubnetId),
    name: String(s.SubnetName ?? ''),
    vpcId: String(s.VpcId ?? ''),
    zoneId: String(s.ZoneId ?? ''),
    cidr: String(s.CidrBlock ?? ''),
    cidrV6: String(s.Ipv6CidrBlock ?? ''),
    availableIps: Number(s.AvailableIpAddressCount ?? 0),
    totalIps: Number(s.TotalIpv4Count ?? 0),
  };
}

function toInstance(i: Any): CloudInstance {
  return {
    id: String(i.InstanceId),
    zoneId: String(i.ZoneId ?? ''),
    vpcId: String(i.VpcId ?? ''),
    networkInterfaces: ((i.NetworkInterfaces ?? []) as Any[]).map((n) => ({
      id: String(n.NetworkInterfaceId),
      mac: String(n.MacAddress ?? '').toLowerCase(),
      type: String(n.Type ?? ''),
      primaryIp: String(n.PrimaryIpAddress ?? ''),
    })),
  };
}

export interface EniFilter {
  ids?: string[];
  instanceId?: string;
  vpcId?: string;
  status?: EniStatus;
  /** Every tag must match (TagFilters). */
  tags?: Tag[];
  /** ENIs holding any of these IPv4s (PrivateIpAddresses.N; the API wants VpcId with it). */
  privateIps?: string[];
}

export interface CreateEniRequest {
  subnetId: string;
  securityGroupIds: string[];
  /** Secondary IPv4s beyond the primary. */
  secondaryCount: number;
  ipv6Count: number;
  tags: Tag[];
  description: string;
  clientToken: string;
}

/** The typed actions over one client. `signal` stops waits and retries. */
export class CloudApi {
  constructor(
    readonly client: OpenApiClient,
    private readonly signal?: AbortSignal,
  ) {}

  private call<T = Any>(action: string, params: Record<string, Any>, opts: CallOptions = {}): Promise<CallResult<T>> {
    return this.client.call<T>(action, params, { signal: this.signal, ...opts });
  }

  /** One ENI, or undefined when the cloud does not know it. */
  async describeEni(id: string, opts: CallOptions = {}): Promise<CloudEni | undefined> {
    try {
      return toEni((await this.call('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: id }, opts)).result);
    } catch (err) {
      if (err instanceof OpenApiError && err.code === 'InvalidEniId.NotFound') return undefined;
      throw err;
    }
  }

  /**
   * Every ENI matching the filter (all pages). With `tags`, the cloud resolves
   * at most 1,000 ENIs and drops the rest silently: fine for one instance's
   * ENIs, wrong for a cluster's — use listEnisByTags there.
   */
  async listEnis(f: EniFilter, opts: CallOptions = {}): Promise<CloudEni[]> {
    const out: CloudEni[] = [];
    const idBatches = f.ids?.length ? chunks(f.ids, 100) : [undefined];
    for (const ids of idBatches) {
      let token = '';
      do {
        const { result } = await this.call(
          'DescribeNetworkInterfaces',
          {
            NetworkInterfaceIds: ids,
            InstanceId: f.instanceId,
            VpcId: f.vpcId,
            Status: f.status,
            TagFilters: f.tags?.map((t) => ({ Key: t.Key, Values: [t.Value] })),
            PrivateIpAddresses: f.privateIps,
            MaxResults: 100,
            NextToken: token || undefined,
          },
          opts,
        );
        out.push(...((result.NetworkInterfaceSets ?? []) as Any[]).map(toEni));
        token = String(result.NextToken ?? '');
      } while (token);
    }
    return out;
  }

  /**
   * Every ENI carrying all these tags, however many: the ids from
   * ListTagsForResources (ResourceType eni, paged by cursor), then
   * DescribeNetworkInterfaces by id, 100 a call. An ENI deleted in between is
   * simply not returned.
   */
  async listEnisByTags(tags: Tag[], f: Omit<EniFilter, 'tags' | 'ids'> = {}, opts: CallOptions = {}): Promise<CloudEni[]> {
    const ids = await this.taggedIds('eni', tags, opts);
    if (!ids.length) return [];
    const found = await this.listEnis({ ...f, ids }, opts);
    // The tags are checked again: they may have changed between the two calls.
    return found.filter((e) => tags.every((t) => e.tags[t.Key] === t.Value));
  }

  /** Ids of the resources of a type carrying all these tags (ListTagsForResources, every page). */
  async taggedIds(resourceType: string, tags: Tag[], opts: CallOptions = {}): Promise<string[]> {
    const ids = new Set<string>();
    let token = '';
    do {
      const { result } = await this.call(
        'ListTagsForResources',
        { ResourceType: resourceType, TagFilters: tags.map((t) => ({ Key: t.Key, Values: [t.Value] })), MaxResults: 100, NextToken: token || undefined },
        opts,
      );
      for (const r of (result.ResourceTags ?? []) as Any[]) if (r.ResourceId) ids.add(String(r.ResourceId));
      token = String(result.NextToken ?? '');
    } while (token);
    return [...ids];
  }

  async createEni(r: CreateEniRequest): Promise<string> {
    const { result } = await this.call(
      'CreateNetworkInterface',
      {
        SubnetId: r.subnetId,
        SecurityGroupIds: r.securityGroupIds,
        SecondaryPrivateIpAddressCount: r.secondaryCount > 0 ? r.secondaryCount : undefined,
        Ipv6AddressCount: r.ipv6Count > 0 ? r.ipv6Count : undefined,
        Description: r.description,
        Tags: r.tags,
      },
      { clientToken: r.clientToken },
    );
    if (!result.NetworkInterfaceId) throw new OpenApiError('CreateNetworkInterface', 'BadResponse', 'the answer has no NetworkInterfaceId');
    return String(result.NetworkInterfaceId);
  }

  /** Attach; with `deleteOnTermination` the cloud deletes the ENI with the instance (sent only when true). */
  async attachEni(id: string, instanceId: string, deleteOnTermination = false): Promise<void> {
    await this.call('AttachNetworkInterface', { NetworkInterfaceId: id, InstanceId: instanceId, DeleteOnTermination: deleteOnTermination || undefined });
  }

  /** Detach; an ENI that is gone or not attached to this instance counts as done. */
  async detachEni(id: string, instanceId: string): Promise<CallResult<unknown>> {
    return this.call('DetachNetworkInterface', { NetworkInterfaceId: id, InstanceId: instanceId });
  }

  /** Delete; an ENI that is gone counts as done. */
  async deleteEni(id: string): Promise<CallResult<unknown>> {
    return this.call('DeleteNetworkInterface', { NetworkInterfaceId: id });
  }

  /** Assign `count` new secondary IPv4s; returns them (the last `count` of PrivateIpSet, as upstream). */
  async assignIpv4(id: string, count: number, clientToken: string): Promise<string[]> {
    const { result } = await this.call('AssignPrivateIpAddresses', { NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: count }, { clientToken });
    return ((result.PrivateIpSet ?? []) as Any[]).map(String).slice(-count);
  }

  /** Assign these secondary IPv4s (PrivateIpAddress.N): a fixed address moving to this node. */
  async assignIpv4Addresses(id: string, ips: string[], clientToken: string): Promise<void> {
    await this.call('AssignPrivateIpAddresses', { NetworkInterfaceId: id, PrivateIpAddress: ips }, { clientToken });
  }

  async assignIpv6(id: string, count: number, clientToken: string): Promise<string[]> {
    const { result } = await this.call('AssignIpv6Addresses', { NetworkInterfaceId: id, Ipv6AddressCount: count }, { clientToken });
    return ((result.Ipv6Set ?? []) as Any[]).map(String).slice(-count);
  }

  /** Unassign; `okCode` says when the cloud answered "not there" instead. */
  unassignIpv4(id: string, ips: string[], clientToken: string): Promise<CallResult<unknown>> {
    return this.call('UnassignPrivateIpAddresses', { NetworkInterfaceId: id, PrivateIpAddress: ips }, { clientToken });
  }

  unassignIpv6(id: string, ips: string[], clientToken: string): Promise<CallResult<unknown>> {
    return this.call('UnassignIpv6Addresses', { NetworkInterfaceId: id, Ipv6Address: ips }, { clientToken });
  }

  /** Put tags on an ENI (cello-gc's orphan mark). */
  async tagEni(id: string, tags: Tag[]): Promise<void> {
    await this.call('TagResources', { ResourceType: 'eni', ResourceIds: [id], Tags: tags });
  }

  /** Take tags off an ENI by key. */
  async untagEni(id: string, keys: string[]): Promise<void> {
    await this.call('UntagResources', { ResourceType: 'eni', ResourceIds: [id], TagKeys: keys });
  }

  async describeSubnets(ids: string[], vpcId?: string): Promise<CloudSubnet[]> {
    const out: CloudSubnet[] = [];
    for (const batch of chunks(ids, 100)) {
      let token = '';
      do {
        const { result } = await this.call('DescribeSubnets', { SubnetIds: batch, VpcId: vpcId, MaxResults: 100, NextToken: token || undefined });
        out.push(...((result.Subnets ?? []) as Any[]).map(toSubnet));
        token = String(result.NextToken ?? '');
      } while (token);
    }
    return out;
  }

  /** The subnets carrying every one of `tags` (DescribeSubnets with TagFilters), in `vpcId`: a PodNetwork's subnets by tag. */
  async describeSubnetsByTags(tags: Tag[], vpcId?: string): Promise<CloudSubnet[]> {
    const out: CloudSubnet[] = [];
    let token = '';
    do {
      const { result } = await this.call('DescribeSubnets', {
        TagFilters: tags.map((t) => ({ Key: t.Key, Values: [t.Value] })),
        VpcId: vpcId,
        MaxResults: 100,
        NextToken: token || undefined,
      });
      out.push(...((result.Subnets ?? []) as Any[]).map(toSubnet));
      token = String(result.NextToken ?? '');
    } while (token);
    return out;
  }

  async instanceTypeLimits(instanceType: string): Promise<InstanceTypeLimits> {
    const { result } = await this.call('DescribeInstanceTypes', { InstanceTypeIds: [instanceType] });
    const t = ((result.InstanceTypes ?? []) as Any[]).find((x) => x.InstanceTypeId === instanceType);
    const maxEnis = Number(t?.Network?.MaximumNetworkInterfaces);
    const ipsPerEni = Number(t?.Network?.MaximumPrivateIpv4AddressesPerNetworkInterface);
    if (!t || !(maxEnis >= 1) || !(ipsPerEni >= 1)) {
      throw new OpenApiError('DescribeInstanceTypes', 'BadResponse', `no usable network limits for instance type ${instanceType}`);
    }
    return { instanceType, maxEnis, ipsPerEni };
  }

  async describeInstance(instanceId: string): Promise<CloudInstance> {
    const { result } = await this.call('DescribeInstances', { InstanceIds: [instanceId] });
    const i = ((result.Instances ?? []) as Any[]).find((x) => x.InstanceId === instanceId);
    if (!i) throw new OpenApiError('DescribeInstances', 'InvalidInstanceId.NotFound', `no instance ${instanceId}`);
    return toInstance(i);
  }

  /** Every instance in the VPC (cello-gc: which nodes still exist). */
  async listInstances(vpcId: string): Promise<CloudInstance[]> {
    const out: CloudInstance[] = [];
    let token = '';
    do {
      const { result } = await this.call('DescribeInstances', { VpcId: vpcId, MaxResults: 100, NextToken: token || undefined });
      out.push(...((result.Instances ?? []) as Any[]).map(toInstance));
      token = String(result.NextToken ?? '');
    } while (token);
    return out;
  }
}

function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out.length ? out : [[]];
}
