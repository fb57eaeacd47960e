/** DescribeNetworkInterfaces (filters, both pagination styles) and DescribeNetworkInterfaceAttributes. */
import { CloudError } from '../../cloud/errors.ts';
import { equalsIf, inList, matchesTagFilters } from '../filters.ts';
import { paginate } from '../paging.ts';
import { renderEni } from '../render.ts';
import type { ActionDef } from './types.ts';

/**
 * A TagFilters query resolves to at most this many ENIs, silently: the rest
 * are not returned and TotalCount does not count them (the documentation
 * sends callers to ListTagsForResources for more; docs/volcengine-api.md).
 */
export const TAG_FILTER_CAP = 1000;

const STATUSES = ['Creating', 'Available', 'Attaching', 'InUse', 'Detaching', 'Deleting'];
const TYPES = ['primary', 'secondary', 'trunk'];

export const DescribeNetworkInterfaces: ActionDef = {
  service: 'vpc',
  run({ cloud, params: p }) {
    const ids = p.list('NetworkInterfaceIds');
    if (ids.length > 100) throw new CloudError('InvalidParameter', 'NetworkInterfaceIds accepts at most 100 ids.');
    const status = p.str('Status') || undefined;
    if (status && !STATUSES.includes(status))
      throw new CloudError('InvalidParameter', `The parameter Status is invalid: ${status} is not one of ${STATUSES.join(', ')}.`);
    const type = p.str('Type') || undefined;
    if (type && !TYPES.includes(type)) throw new CloudError('InvalidParameter', `The parameter Type is invalid: ${type} is not one of ${TYPES.join(', ')}.`);
    const instanceId = p.str('InstanceId') || undefined;
    const vpcId = p.str('VpcId') || undefined;
    const subnetId = p.str('SubnetId') || undefined;
    const zoneId = p.str('ZoneId') || undefined;
    const sg = p.str('SecurityGroupId') || undefined;
    const name = p.str('NetworkInterfaceName') || undefined;
    const project = p.str('ProjectName') || undefined;
    const primaryIps = p.list('PrimaryIpAddresses');
    const privateIps = p.list('PrivateIpAddresses');
    const ipv6s = p.list('Ipv6Addresses');
    const tagFilters = p.tagFilters();

    let matching = cloud.listEnis().filter((e) => {
      const subnet = cloud.subnets.get(e.subnetId);
      return (
        inList(ids, e.id) &&
        equalsIf(status, e.status) &&
        equalsIf(type, e.type) &&
        equalsIf(instanceId, e.instanceId) &&
        equalsIf(vpcId, cloud.world.vpc.id) &&
        equalsIf(subnetId, e.subnetId) &&
        equalsIf(zoneId, subnet?.zoneId) &&
        (!sg || e.securityGroupIds.includes(sg)) &&
        equalsIf(name, e.name) &&
        equalsIf(project, e.projectName) &&
        inList(primaryIps, e.primaryIp) &&
        (privateIps.length === 0 || [e.primaryIp, ...e.secondaryIps].some((ip) => privateIps.includes(ip))) &&
        (ipv6s.length === 0 || e.ipv6s.some((ip) => ipv6s.includes(ip))) &&
        matchesTagFilters(e.tags, tagFilters)
      );
    });
    if (tagFilters.length) matching = matching.slice(0, TAG_FILTER_CAP);
    const page = paginate(matching, p, { pageNumbers: true, defaultSize: 20, maxSize: 100, seqOf: (e) => e.seq });
    return { NetworkInterfaceSets: page.items.map((e) => renderEni(cloud, e)), ...page.fields };
  },
};

export const DescribeNetworkInterfaceAttributes: ActionDef = {
  service: 'vpc',
  run({ cloud, params: p }) {
    return renderEni(cloud, cloud.eni(p.required('NetworkInterfaceId')));
  },
};
