/** Assign/Unassign PrivateIpAddresses and Ipv6Addresses: one shape, two families. */
import { invalid, missing } from '../../cloud/errors.ts';
import { assignIps, unassignIps } from '../../cloud/ips.ts';
import type { ActionDef } from './types.ts';
import type { Params } from '../params.ts';

/** The parameter names of one family's actions. */
interface Family {
  family: 4 | 6;
  /** `PrivateIpAddress.N` / `Ipv6Address.N`: explicit addresses. */
  list: string;
  /** How many to pick instead. */
  count: string;
  /** The result's list of what was added. */
  resultSet: string;
}

const V4: Family = { family: 4, list: 'PrivateIpAddress', count: 'SecondaryPrivateIpAddressCount', resultSet: 'PrivateIpSet' };
const V6: Family = { family: 6, list: 'Ipv6Address', count: 'Ipv6AddressCount', resultSet: 'Ipv6Set' };

/** Exactly one of the explicit list or the count. */
function request(p: Params, f: Family, max: number) {
  const ips = p.list(f.list);
  const count = p.int(f.count, 1, max);
  if (ips.length && count !== undefined) throw invalid(f.count, `give either ${f.list}.N or ${f.count}, not both`);
  if (!ips.length && count === undefined) throw missing(`${f.list}.1 or ${f.count}`);
  return { ips, count };
}

const assign = (f: Family): ActionDef => ({
  service: 'vpc',
  clientToken: true,
  async run({ cloud, params: p }) {
    const id = p.required('NetworkInterfaceId');
    const added = await assignIps(cloud, id, f.family, request(p, f, 1000));
    return { NetworkInterfaceId: id, [f.resultSet]: added };
  },
});

const unassign = (f: Family): ActionDef => ({
  service: 'vpc',
  clientToken: true,
  async run({ cloud, params: p }) {
    const id = p.required('NetworkInterfaceId');
    const ips = p.list(f.list);
    if (!ips.length) throw missing(`${f.list}.1`);
    await unassignIps(cloud, id, f.family, ips);
    return {};
  },
});

export const AssignPrivateIpAddresses = assign(V4);
export const UnassignPrivateIpAddresses = unassign(V4);
export const AssignIpv6Addresses = assign(V6);
export const UnassignIpv6Addresses = unassign(V6);
