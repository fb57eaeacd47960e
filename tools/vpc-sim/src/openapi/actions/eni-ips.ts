/** Assign/Unassign PrivateIpAddresses and Ipv6Addresses. */
import { invalid, missing } from '../../cloud/errors.ts';
import { assignIps, unassignIps } from '../../cloud/ips.ts';
import type { ActionDef } from './types.ts';
import type { Params } from '../params.ts';

/** Exactly one of the explicit list or the count. */
function request(p: Params, listName: string, countName: string, max: number) {
  const ips = p.list(listName);
  const count = p.int(countName, 1, max);
  if (ips.length && count !== undefined) throw invalid(countName, `give either ${listName}.N or ${countName}, not both`);
  if (!ips.length && count === undefined) throw missing(`${listName}.1 or ${countName}`);
  return { ips, count };
}

export const AssignPrivateIpAddresses: ActionDef = {
  service: 'vpc',
  clientToken: true,
  async run({ cloud, params: p }) {
    const id = p.required('NetworkInterfaceId');
    const added = await assignIps(cloud, id, 4, request(p, 'PrivateIpAddress', 'SecondaryPrivateIpAddressCount', 1000));
    return { NetworkInterfaceId: id, PrivateIpSet: added };
  },
};

export const UnassignPrivateIpAddresses: ActionDef = {
  service: 'vpc',
  clientToken: true,
  async run({ cloud, params: p }) {
    const id = p.required('NetworkInterfaceId');
    const ips = p.list('PrivateIpAddress');
    if (!ips.length) throw missing('PrivateIpAddress.1');
    await unassignIps(cloud, id, 4, ips);
    return {};
  },
};

export const AssignIpv6Addresses: ActionDef = {
  service: 'vpc',
  clientToken: true,
  async run({ cloud, params: p }) {
    const id = p.required('NetworkInterfaceId');
    const added = await assignIps(cloud, id, 6, request(p, 'Ipv6Address', 'Ipv6AddressCount', 1000));
    return { NetworkInterfaceId: id, Ipv6Set: added };
  },
};

export const UnassignIpv6Addresses: ActionDef = {
  service: 'vpc',
  clientToken: true,
  async run({ cloud, params: p }) {
    const id = p.required('NetworkInterfaceId');
    const ips = p.list('Ipv6Address');
    if (!ips.length) throw missing('Ipv6Address.1');
    await unassignIps(cloud, id, 6, ips);
    return {};
  },
};
