/** DescribeSubnets, DescribeSubnetAttributes and DescribeSecurityGroups. */
import { invalid } from '../../cloud/errors.ts';
import { equalsIf, inList } from '../filters.ts';
import { paginate } from '../paging.ts';
import { renderSubnet } from '../render.ts';
import type { ActionDef } from './types.ts';

export const DescribeSubnets: ActionDef = {
  service: 'vpc',
  run({ cloud, params: p }) {
    const ids = p.list('SubnetIds');
    const vpcId = p.str('VpcId') || undefined;
    const zoneId = p.str('ZoneId') || undefined;
    const name = p.str('SubnetName') || undefined;
    const isDefault = p.bool('IsDefault');
    const tagFilters = p.tagFilters();
    const all = cloud.world.subnets.filter((s) => cloud.subnets.has(s.id));
    const matching = all.filter(
      (s) =>
        inList(ids, s.id) &&
        equalsIf(vpcId, cloud.world.vpc.id) &&
        equalsIf(zoneId, s.zoneId) &&
        equalsIf(name, s.name) &&
        isDefault !== true &&
        tagFilters.length === 0,
    );
    const seq = (s: (typeof all)[number]) => all.indexOf(s);
    const page = paginate(matching, p, { pageNumbers: true, defaultSize: 20, maxSize: 100, seqOf: seq });
    return { Subnets: page.items.map((s) => renderSubnet(cloud, s)), ...page.fields };
  },
};

export const DescribeSubnetAttributes: ActionDef = {
  service: 'vpc',
  run({ cloud, params: p }) {
    return renderSubnet(cloud, cloud.subnet(p.required('SubnetId')));
  },
};

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
        SecurityGroupId: g.id,
        SecurityGroupName: g.name,
        VpcId: cloud.world.vpc.id,
        Status: 'Available',
        Type: 'custom',
        ServiceManaged: false,
        Description: '',
        ProjectName: 'default',
        Tags: [],
        UsedNetworkInterfaceCount: enis.filter((e) => e.securityGroupIds.includes(g.id)).length,
      })),
      ...page.fields,
    };
  },
};
