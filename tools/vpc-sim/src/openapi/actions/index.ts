/** Every API action the sim answers, by name. */
import { DescribeInstances, DescribeInstanceTypes } from './ecs.ts';
import { DescribeNetworkInterfaceAttributes, DescribeNetworkInterfaces } from './eni-describe.ts';
import { AssignIpv6Addresses, AssignPrivateIpAddresses, UnassignIpv6Addresses, UnassignPrivateIpAddresses } from './eni-ips.ts';
import { AttachNetworkInterface, CreateNetworkInterface, DeleteNetworkInterface, DetachNetworkInterface } from './eni-lifecycle.ts';
import { DescribeSecurityGroups, DescribeSubnetAttributes, DescribeSubnets } from './subnets.ts';
import { ListTagsForResources, TagResources, UntagResources } from './tags.ts';
import type { ActionDef } from './types.ts';

export type { ActionContext, ActionDef } from './types.ts';

export const ACTIONS: Record<string, ActionDef> = {
  CreateNetworkInterface,
  DeleteNetworkInterface,
  AttachNetworkInterface,
  DetachNetworkInterface,
  DescribeNetworkInterfaces,
  DescribeNetworkInterfaceAttributes,
  AssignPrivateIpAddresses,
  UnassignPrivateIpAddresses,
  AssignIpv6Addresses,
  UnassignIpv6Addresses,
  DescribeSubnets,
  DescribeSubnetAttributes,
  DescribeSecurityGroups,
  TagResources,
  UntagResources,
  ListTagsForResources,
  DescribeInstances,
  DescribeInstanceTypes,
};

export const API_VERSION = '2020-04-01';
