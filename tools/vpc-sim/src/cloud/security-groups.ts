/**
 * Security groups and their ingress rules: create (with the rule a real
 * custom group starts with: its own members may reach each other), delete
 * (refused while an ENI or another group's rule uses it), authorize and
 * revoke a rule, and set an ENI's groups. Every change that alters what an
 * attached ENI admits is handed to the dataplane before the call returns
 * (dataplane/security-groups.ts enforces it).
 */
import { randomId } from '../util/ids.ts';
import type { Cloud } from './cloud.ts';
import { CloudError, eniStatus, invalid } from './errors.ts';
import { MAX_SECURITY_GROUPS } from './limits.ts';
import type { IngressRule, SecurityGroup } from './types.ts';

/** Groups an account may own in a region, the default group included (CreateSecurityGroup's documented quota). */
export const MAX_GROUPS = 300;

export const groupNotFound = (id: string) => new CloudError('InvalidSecurityGroupId.NotFound', `The security group ${id} does not exist.`);

/** What identifies a rule: its source (a CIDR or a group). */
export type RuleSource = { cidrIp: string; sourceGroupId?: undefined } | { sourceGroupId: string; cidrIp?: undefined };

export function ruleOf(source: RuleSource, now = Date.now(), extra: { priority?: number; description?: string } = {}): IngressRule {
  return {
    protocol: 'all',
    portStart: -1,
    portEnd: -1,
    ...(source.cidrIp !== undefined ? { cidrIp: source.cidrIp } : { sourceGroupId: source.sourceGroupId }),
    policy: 'accept',
    priority: extra.priority ?? 1,
    description: extra.description ?? '',
    createdAt: now,
  };
}

const sameSource = (r: IngressRule, s: RuleSource) => (s.cidrIp !== undefined ? r.cidrIp === s.cidrIp : r.sourceGroupId === s.sourceGroupId);

export function groupById(cloud: Cloud, id: string): SecurityGroup {
  const g = cloud.world.securityGroups.find((x) => x.id === id);
  if (!g) throw groupNotFound(id);
  return g;
}

/** Refuse a list of groups an ENI cannot join: more than five, or one that does not exist. */
export function checkEniGroups(cloud: Cloud, ids: string[]): void {
  if (ids.length > MAX_SECURITY_GROUPS) {
    throw new CloudError('QuotaExceeded.EniSecurityGroup', `An ENI can join at most ${MAX_SECURITY_GROUPS} security groups.`);
  }
  for (const sg of ids) {
    if (!cloud.world.securityGroups.some((g) => g.id === sg)) {
      throw new CloudError('InvalidSecurityGroup.NotFound', `The security group ${sg} does not exist.`);
    }
  }
}

const NAME = /^[\p{L}\p{N}][\p{L}\p{N}._-]{0,127}$/u;
const DESCRIPTION = /^(?:[\p{L}\p{N}][\p{L}\p{N},._ =\-，。]{0,254})?$/u;

/** A new group in the VPC: it admits its own members (as a real custom group starts), egress is free. */
export function createGroup(cloud: Cloud, input: { name?: string; description?: string }): SecurityGroup {
  if (input.name !== undefined && !NAME.test(input.name)) {
    throw invalid('SecurityGroupName', 'it must be 1-128 characters, start with a letter or digit and contain only letters, digits, ".", "_" and "-"');
  }
  if (input.description !== undefined && !DESCRIPTION.test(input.description)) {
    throw invalid('Description', 'it must be 0-255 characters, start with a letter or digit and contain only letters, digits, spaces and ",._=-，。"');
  }
  if (cloud.world.securityGroups.length >= MAX_GROUPS) {
    throw new CloudError('QuotaExceeded.SecurityGroup', `The account already has ${MAX_GROUPS} security groups in this region, its quota.`);
  }
  const now = Date.now();
  const id = randomId('sg');
  const group: SecurityGroup = {
    id,
    name: input.name || id,
    description: input.description ?? '',
    ingress: [ruleOf({ sourceGroupId: id }, now)],
    createdAt: now,
    updatedAt: now,
  };
  cloud.world.securityGroups.push(group);
  return group;
}

export function deleteGroup(cloud: Cloud, id: string): void {
  const group = groupById(cloud, id);
  const user = [...cloud.enis.values()].find((e) => e.securityGroupIds.includes(id));
  if (user) throw new CloudError('InvalidSecurityGroup.InUse', `The specified security group has dependent resource of an ENI (${user.id}).`);
  const referrer = cloud.world.securityGroups.find((g) => g.id !== id && g.ingress.some((r) => r.sourceGroupId === id));
  if (referrer)
    throw new CloudError('InvalidSecurityGroup.InUse', `The specified security group has dependent resource of a security rule (in ${referrer.id}).`);
  cloud.world.securityGroups.splice(cloud.world.securityGroups.indexOf(group), 1);
}

/** Add an ingress rule; the same source again adds nothing. Returns whether a rule was added. */
export async function authorizeIngress(
  cloud: Cloud,
  id: string,
  source: RuleSource,
  extra: { priority?: number; description?: string } = {},
): Promise<boolean> {
  const group = groupById(cloud, id);
  if (source.sourceGroupId !== undefined) groupById(cloud, source.sourceGroupId);
  if (group.ingress.some((r) => sameSource(r, source))) return false;
  group.ingress.push(ruleOf(source, Date.now(), extra));
  group.updatedAt = Date.now();
  await cloud.securityGroupsChanged();
  return true;
}

export async function revokeIngress(cloud: Cloud, id: string, source: RuleSource): Promise<void> {
  const group = groupById(cloud, id);
  const i = group.ingress.findIndex((r) => sameSource(r, source));
  if (i < 0) {
    const what = source.cidrIp !== undefined ? `CidrIp ${source.cidrIp}` : `SourceGroupId ${source.sourceGroupId}`;
    throw new CloudError('InvalidSecurityRule.NotFound', `The security group ${id} has no ingress rule from ${what}.`);
  }
  group.ingress.splice(i, 1);
  group.updatedAt = Date.now();
  await cloud.securityGroupsChanged();
}

/** Replace the groups an ENI is in (Available or InUse). */
export async function setEniGroups(cloud: Cloud, eniId: string, ids: string[]): Promise<void> {
  const eni = cloud.eni(eniId);
  if (eni.status !== 'Available' && eni.status !== 'InUse') throw eniStatus(eniId, eni.status, 'Available or InUse');
  const unique = [...new Set(ids)];
  checkEniGroups(cloud, unique);
  eni.securityGroupIds = unique;
  cloud.touch(eni);
  await cloud.securityGroupsChanged();
}
