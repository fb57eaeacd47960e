/**
 * ModifyNetworkInterfaceAttributes: NetworkInterfaceName, Description,
 * SecurityGroupIds.N (replaces the ENI's groups: at most five, each must
 * exist), DeleteOnTermination, PortSecurityEnabled. A change of groups is
 * in the dataplane's rules before the call returns. Only while the ENI is
 * Available or InUse.
 */
import { eniStatus } from '../../cloud/errors.ts';
import { setEniGroups } from '../../cloud/security-groups.ts';
import { asyncTask, lengthBetween } from './eni-lifecycle.ts';
import type { ActionDef } from './types.ts';

export const ModifyNetworkInterfaceAttributes: ActionDef = {
  service: 'vpc',
  async run({ cloud, params: p }) {
    const id = p.required('NetworkInterfaceId');
    const eni = cloud.eni(id);
    if (eni.status !== 'Available' && eni.status !== 'InUse') throw eniStatus(id, eni.status, 'Available or InUse');
    const name = lengthBetween('NetworkInterfaceName', p.str('NetworkInterfaceName'), 1, 128);
    const description = lengthBetween('Description', p.str('Description'), 1, 255);
    const deleteOnTermination = p.bool('DeleteOnTermination');
    const portSecurity = p.bool('PortSecurityEnabled');
    const groups = p.list('SecurityGroupIds');
    if (groups.length) await setEniGroups(cloud, id, groups);
    if (name !== undefined) eni.name = name;
    if (description !== undefined) eni.description = description;
    if (deleteOnTermination !== undefined) eni.deleteOnTermination = deleteOnTermination;
    if (portSecurity !== undefined) eni.portSecurityEnabled = portSecurity;
    cloud.touch(eni);
    return asyncTask();
  },
};
