/** DescribeInstances and DescribeInstanceTypes (service ecs; MaxResults/NextToken paging only). */
import { equalsIf, inList, matchesTagFilters } from '../filters.ts';
import { paginate } from '../paging.ts';
import { renderInstance, renderInstanceType } from '../render.ts';
import type { ActionDef } from './types.ts';

export const DescribeInstances: ActionDef = {
  service: 'ecs',
  run({ cloud, params: p }) {
    const ids = p.list('InstanceIds');
    const vpcId = p.str('VpcId') || undefined;
    const zoneId = p.str('ZoneId') || undefined;
    const status = p.str('Status') || undefined;
    const name = p.str('InstanceName') || undefined;
    const primaryIp = p.str('PrimaryIpAddress') || undefined;
    const typeIds = p.list('InstanceTypeIds');
    const tagFilters = p.tagFilters();
    const all = cloud.world.instances.filter((i) => cloud.instances.has(i.id));
    const matching = all.filter((i) => {
      const primary = cloud.enis.get(i.primaryEniId);
      return (
        inList(ids, i.id) &&
        equalsIf(vpcId, cloud.world.vpc.id) &&
        equalsIf(zoneId, i.zoneId) &&
        equalsIf(status, 'RUNNING') &&
        equalsIf(name, i.node) &&
        equalsIf(primaryIp, primary?.primaryIp) &&
        inList(typeIds, i.typeId) &&
        matchesTagFilters([], tagFilters)
      );
    });
    const order = (i: (typeof all)[number]) => cloud.world.instances.indexOf(i);
    const page = paginate(matching, p, { pageNumbers: false, defaultSize: 20, maxSize: 100, seqOf: order });
    return { Instances: page.items.map((i) => renderInstance(cloud, i)), ...page.fields };
  },
};

export const DescribeInstanceTypes: ActionDef = {
  service: 'ecs',
  run({ cloud, params: p }) {
    const ids = [...p.list('InstanceTypeIds'), ...p.list('InstanceTypes')];
    const all = cloud.world.instanceTypes;
    const matching = all.filter((t) => inList(ids, t.id));
    const page = paginate(matching, p, { pageNumbers: false, defaultSize: 10, maxSize: 1000, seqOf: (t) => all.indexOf(t) });
    return { InstanceTypes: page.items.map(renderInstanceType), ...page.fields };
  },
};
