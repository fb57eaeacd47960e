/** DescribeSubnets and DescribeSubnetAttributes. */
import { equalsIf, inList, matchesTagFilters } from '../filters.ts';
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
        matchesTagFilters(s.tags ?? [], tagFilters),
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
