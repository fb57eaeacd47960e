/**
 * Security groups: DescribeSecurityGroups, DescribeSecurityGroupAttributes
 * (the group with its Permissions), CreateSecurityGroup and
 * DeleteSecurityGroup. The rules themselves are sg-rules.ts.
 */
import { CloudError, invalid } from '../../cloud/errors.ts';
import { createGroup, deleteGroup, groupById } from '../../cloud/security-groups.ts';
import type { Cloud } from '../../cloud/cloud.ts';
import type { IngressRule, SecurityGroup } from '../../cloud/types.ts';
import { rfc3339 } from '../../util/time.ts';
import { equalsIf, inList } from '../filters.ts';
import { paginate } from '../paging.ts';
import { asyncTask } from './eni-lifecycle.ts';
import type { ActionDef } from './types.ts';

const groupFields = (cloud: Cloud, g: SecurityGroup) => ({
  SecurityGroupId: g.id,
  SecurityGroupName: g.name,
  VpcId: cloud.world.vpc.id,
  AccountId: cloud.world.accountId,
  Status: 'Available',
  Type: 'custom',
  ServiceManaged: false,
  Description: g.description,
  ProjectName: 'default',
  Tags: [],
  CreationTime: rfc3339(g.createdAt),
});

/** A rule as a Permissions entry; egress is one fixed rule to everywhere (the sim never filters it). */
function permission(direction: 'ingress' | 'egress', r: IngressRule, updatedAt: number) {
  return {
    Direction: direction,
    Protocol: r.protocol,
    PortStart: r.portStart,
    PortEnd: r.portEnd,
    CidrIp: r.cidrIp ?? '',
    SourceGroupId: r.sourceGroupId ?? '',
    PrefixListId: '',
    PrefixListCidrs: [],
    Policy: r.policy,
    Priority: r.priority,
    Description: r.description,
    CreationTime: rfc3339(r.createdAt),
    UpdateTime: rfc3339(Math.max(r.createdAt, updatedAt)),
  };
}

export const DescribeSecurityGroups: ActionDef = {
  service: 'vpc',
  run({ cloud, params: p }) {
    const ids = p.list('SecurityGroupIds');
    const names = p.list('SecurityGroupNames');
    const vpcId = p.str('VpcId') || undefined;
    if (p.tagFilters().length) throw invalid('TagFilters', 'security groups carry no tags in the sim');
    const all = cloud.world.securityGroups;
    const matching = all.filter((g) => inList(ids, g.id) && inList(names, g.name) && equalsIf(vpcId, cloud.world.vpc.id));
    const page = paginate(matching, p, { pageNumbers: true, defaultSize: 20, maxSize: 100, seqOf: (g) => all.indexOf(g) });
    const enis = [...cloud.enis.values()];
    return {
      SecurityGroups: page.items.map((g) => ({
        ...groupFields(cloud, g),
        UsedNetworkInterfaceCount: enis.filter((e) => e.securityGroupIds.includes(g.id)).length,
      })),
      ...page.fields,
    };
  },
};

export const DescribeSecurityGroupAttributes: ActionDef = {
  service: 'vpc',
  run({ cloud, params: p }) {
    const g = groupById(cloud, p.required('SecurityGroupId'));
    const direction = p.str('Direction') || undefined;
    if (direction && direction !== 'ingress' && direction !== 'egress') throw invalid('Direction', 'must be ingress or egress');
    const filters = { Protocol: p.str('Protocol'), CidrIp: p.str('CidrIp'), SourceGroupId: p.str('SourceGroupId'), PrefixListId: p.str('PrefixListId') };
    const everywhere = {
      protocol: 'all',
      portStart: -1,
      portEnd: -1,
      cidrIp: '0.0.0.0/0',
      policy: 'accept',
      priority: 1,
      description: '',
      createdAt: g.createdAt,
    } as const;
    const permissions = [...g.ingress.map((r) => permission('ingress', r, g.updatedAt)), permission('egress', everywhere, g.createdAt)].filter(
      (x) => equalsIf(direction, x.Direction) && Object.entries(filters).every(([k, v]) => equalsIf(v, x[k as keyof typeof filters])),
    );
    return { ...groupFields(cloud, g), UpdateTime: rfc3339(g.updatedAt), Permissions: permissions };
  },
};

export const CreateSecurityGroup: ActionDef = {
  service: 'vpc',
  clientToken: true,
  run({ cloud, params: p }) {
    const vpcId = p.required('VpcId');
    if (vpcId !== cloud.world.vpc.id) throw new CloudError('InvalidVpcId.NotFound', `The VPC ${vpcId} does not exist.`);
    if (p.tags().length) throw invalid('Tags', 'security groups carry no tags in the sim');
    const g = createGroup(cloud, { name: p.str('SecurityGroupName') || undefined, description: p.str('Description') });
    return { SecurityGroupId: g.id, ...asyncTask() };
  },
};

export const DeleteSecurityGroup: ActionDef = {
  service: 'vpc',
  run({ cloud, params: p }) {
    deleteGroup(cloud, p.required('SecurityGroupId'));
    return asyncTask();
  },
};
