/** `vpc-sim state` (and `vpc-sim sg list`): the cloud as the sim sees it, for operators and tests. */
import type { Cloud } from '../cloud/cloud.ts';
import { rfc3339 } from '../util/time.ts';

export interface SimState {
  instances: Array<{ id: string; node: string; netns: string; type: string; zone: string; primaryEniId: string; enis: string[] }>;
  enis: Array<{
    id: string;
    type: string;
    status: string;
    instanceId: string;
    device: string;
    port: string;
    mac: string;
    subnetId: string;
    primaryIp: string;
    secondaryIps: string[];
    ipv6s: string[];
    securityGroupIds: string[];
    tags: Array<{ Key: string; Value: string }>;
    createdAt: string;
    updatedAt: string;
  }>;
  subnets: Array<{ id: string; name: string; cidr: string; cidrV6?: string; availableIps: number; totalIps: number }>;
  /** Each group, its ingress rules (a source group or a CIDR each) and the ENIs in it. */
  securityGroups: Array<{ id: string; name: string; description: string; ingress: Array<{ sourceGroupId?: string; cidrIp?: string }>; enis: string[] }>;
  transitions: Cloud['transitions'];
}

export function renderState(cloud: Cloud): SimState {
  return {
    instances: [...cloud.instances.values()].map((i) => ({
      id: i.id,
      node: i.node,
      netns: i.netns,
      type: i.typeId,
      zone: i.zoneId,
      primaryEniId: i.primaryEniId,
      enis: cloud.enisOf(i.id).map((e) => e.id),
    })),
    enis: cloud.listEnis().map((e) => ({
      id: e.id,
      type: e.type,
      status: e.status,
      instanceId: e.instanceId,
      device: e.device ?? '',
      port: e.port ?? '',
      mac: e.mac,
      subnetId: e.subnetId,
      primaryIp: e.primaryIp,
      secondaryIps: [...e.secondaryIps],
      ipv6s: [...e.ipv6s],
      securityGroupIds: [...e.securityGroupIds],
      tags: e.tags.map((t) => ({ ...t })),
      createdAt: rfc3339(e.createdAt),
      updatedAt: rfc3339(e.updatedAt),
    })),
    subnets: [...cloud.subnets.values()].map((s) => {
      const p = cloud.pools.get(s.id)!;
      return {
        id: s.id,
        name: s.name,
        cidr: s.cidr,
        ...(s.cidrV6 ? { cidrV6: s.cidrV6 } : {}),
        availableIps: Number(p.v4.available),
        totalIps: Number(p.v4.capacity),
      };
    }),
    securityGroups: cloud.world.securityGroups.map((g) => ({
      id: g.id,
      name: g.name,
      description: g.description,
      ingress: g.ingress.map((r) => (r.sourceGroupId ? { sourceGroupId: r.sourceGroupId } : { cidrIp: r.cidrIp! })),
      enis: cloud
        .listEnis()
        .filter((e) => e.securityGroupIds.includes(g.id))
        .map((e) => e.id),
    })),
    transitions: cloud.transitions.slice(-500),
  };
}
