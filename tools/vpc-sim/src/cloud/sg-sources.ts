/**
 * Which IPv4 sources may open a flow to an ENI: the union over the ENI's
 * security groups of every ingress rule's CIDR, or of every address (primary
 * and secondary) of every ENI in the rule's source group, whatever that
 * ENI's state. A rule from 0.0.0.0/0 admits anything (`'any'`). Pure over
 * the cloud's records, so the live dataplane and `up` compute it alike.
 */
import type { Eni, SecurityGroup } from './types.ts';

/** Every IPv4 source (`'any'`), or these CIDRs (addresses as /32), sorted. */
export type Sources = 'any' | string[];

const ANYWHERE = '0.0.0.0/0';

/** The sources each ENI's groups admit, by ENI id. */
export function sourcesByEni(targets: Eni[], groups: SecurityGroup[], enis: Eni[]): Map<string, Sources> {
  const byId = new Map(groups.map((g) => [g.id, g]));
  const members = new Map<string, string[]>();
  for (const e of enis) {
    for (const g of e.securityGroupIds) {
      const list = members.get(g) ?? [];
      list.push(...[e.primaryIp, ...e.secondaryIps].map((ip) => `${ip}/32`));
      members.set(g, list);
    }
  }
  const out = new Map<string, Sources>();
  for (const eni of targets) {
    const set = new Set<string>();
    for (const gid of eni.securityGroupIds) {
      for (const rule of byId.get(gid)?.ingress ?? []) {
        if (rule.cidrIp !== undefined) set.add(rule.cidrIp);
        else if (rule.sourceGroupId) for (const a of members.get(rule.sourceGroupId) ?? []) set.add(a);
      }
    }
    out.set(eni.id, set.has(ANYWHERE) ? 'any' : [...set].sort());
  }
  return out;
}
