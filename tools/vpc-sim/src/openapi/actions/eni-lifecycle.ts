/** CreateNetworkInterface, DeleteNetworkInterface, AttachNetworkInterface, DetachNetworkInterface. */
import { invalid, missing } from '../../cloud/errors.ts';
import { attachEni, createEni, deleteEni, detachEni } from '../../cloud/eni.ts';
import type { EniType } from '../../cloud/types.ts';
import { randomId } from '../../util/ids.ts';
import type { ActionDef } from './types.ts';

export const asyncTask = () => ({ AsyncTaskId: randomId('task') });

export function lengthBetween(name: string, v: string | undefined, min: number, max: number) {
  if (v !== undefined && (v.length < min || v.length > max)) throw invalid(name, `its length must be ${min}-${max}`);
  return v;
}

export const CreateNetworkInterface: ActionDef = {
  service: 'vpc',
  clientToken: true,
  async run({ cloud, params: p }) {
    const subnetId = p.required('SubnetId');
    const securityGroupIds = p.list('SecurityGroupIds');
    if (!securityGroupIds.length) throw missing('SecurityGroupIds.1');
    const type = p.str('Type') || undefined;
    const eni = await createEni(cloud, {
      subnetId,
      securityGroupIds,
      primaryIp: p.str('PrimaryIpAddress') || undefined,
      privateIps: p.list('PrivateIpAddress'),
      secondaryCount: p.int('SecondaryPrivateIpAddressCount', 1, cloud.config.maxSecondaryIpsUnattached),
      ipv6s: p.list('Ipv6Address'),
      ipv6Count: p.int('Ipv6AddressCount', 1, cloud.config.maxSecondaryIpsUnattached),
      name: lengthBetween('NetworkInterfaceName', p.str('NetworkInterfaceName'), 1, 128),
      description: lengthBetween('Description', p.str('Description'), 1, 255),
      portSecurityEnabled: p.bool('PortSecurityEnabled'),
      projectName: p.str('ProjectName') || undefined,
      tags: p.tags(),
      type: type as EniType | undefined,
    });
    return { NetworkInterfaceId: eni.id, ...asyncTask() };
  },
};

export const DeleteNetworkInterface: ActionDef = {
  service: 'vpc',
  async run({ cloud, params: p }) {
    await deleteEni(cloud, p.required('NetworkInterfaceId'));
    return asyncTask();
  },
};

export const AttachNetworkInterface: ActionDef = {
  service: 'vpc',
  async run({ cloud, params: p }) {
    const id = p.required('NetworkInterfaceId');
    const instanceId = p.required('InstanceId');
    const deleteOnTermination = p.bool('DeleteOnTermination');
    await attachEni(cloud, id, instanceId, deleteOnTermination);
    return asyncTask();
  },
};

export const DetachNetworkInterface: ActionDef = {
  service: 'vpc',
  async run({ cloud, params: p }) {
    await detachEni(cloud, p.required('NetworkInterfaceId'), p.required('InstanceId'));
    return asyncTask();
  },
};
