/** Every API action the sim answers, by name. */
import { DescribeInstances, DescribeInstanceTypes } from './ecs.ts';
import { DescribeNetworkInterfaceAttributes, DescribeNetworkInterfaces } from './eni-describe.ts';
import { AssignIpv6Addresses, AssignPrivateIpAddresses, UnassignIpv6Addresses, UnassignPrivateIpAddresses } from './eni-ips.ts';
import { AttachNetworkInterface, CreateNetworkInterface, DeleteNetworkInterface, DetachNetworkInterface } from './eni-lifecycle.ts';
import { ModifyNetworkInterfaceAttributes } from './eni-modify.ts';
import { CreateSecurityGroup, DeleteSecurityGroup, DescribeSecurityGroupAttributes, DescribeSecurityGroups } from './security-groups.ts';
import { AuthorizeSecurityGroupIngress, RevokeSecurityGroupIngress } from './sg-rules.ts';
import { DescribeSubnetAttributes, DescribeSubnets } from './subnets.ts';
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
  ModifyNetworkInterfaceAttributes,
  AssignPrivateIpAddresses,
  UnassignPrivateIpAddresses,
  AssignIpv6Addresses,
  UnassignIpv6Addresses,
  DescribeSubnets,
  DescribeSubnetAttributes,
  DescribeSecurityGroups,
  DescribeSecurityGroupAttributes,
  CreateSecurityGroup,
  DeleteSecurityGroup,
  AuthorizeSecurityGroupIngress,
  RevokeSecurityGroupIngress,
  TagResources,
  UntagResources,
  ListTagsForResources,
  DescribeInstances,
  DescribeInstanceTypes,
};

export const API_VERSION = '2020-04-01';
