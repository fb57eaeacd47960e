/**
 * AuthorizeSecurityGroupIngress and RevokeSecurityGroupIngress, with the
 * real parameters (SecurityGroupId, Protocol, PortStart, PortEnd, CidrIp or
 * SourceGroupId — CidrIp wins when both are given, as documented — Policy,
 * Priority, Description). The sim models what Cello's tests need: Protocol
 * `all` with ports -1, Policy `accept`, IPv4 sources; anything else is
 * refused with InvalidParameter naming the parameter, never silently
 * ignored.
 */
import { invalid, missing } from '../../cloud/errors.ts';
import { authorizeIngress, type RuleSource, revokeIngress } from '../../cloud/security-groups.ts';
import { parseCidr } from '../../util/net.ts';
import type { Params } from '../params.ts';
import { asyncTask } from './eni-lifecycle.ts';
import type { ActionDef } from './types.ts';

const PROTOCOLS = ['tcp', 'udp', 'icmp', 'icmpv6', 'all'];

function source(p: Params): RuleSource {
  const cidr = p.str('CidrIp');
  if (cidr) {
    let parsed: ReturnType<typeof parseCidr>;
    try {
      parsed = parseCidr(cidr);
    } catch {
      throw invalid('CidrIp', `${JSON.stringify(cidr)} is not a CIDR`);
    }
    if (parsed.family !== 4) throw invalid('CidrIp', 'the sim models IPv4 sources only');
    return { cidrIp: parsed.text };
  }
  const group = p.str('SourceGroupId');
  if (group) return { sourceGroupId: group };
  if (p.str('PrefixListId')) throw invalid('PrefixListId', 'the sim has no prefix lists; give CidrIp or SourceGroupId');
  throw missing('CidrIp or SourceGroupId');
}

/** The rule a request names; throws for what the sim does not model. */
function ruleParams(p: Params): { source: RuleSource; priority?: number; description?: string } {
  const protocol = p.required('Protocol');
  if (!PROTOCOLS.includes(protocol)) throw invalid('Protocol', `must be one of ${PROTOCOLS.join(', ')}`);
  if (protocol !== 'all') throw invalid('Protocol', `the sim models Protocol all only, not ${protocol}`);
  for (const name of ['PortStart', 'PortEnd']) {
    const port = p.int(name, -1, 65535);
    if (port === undefined) throw missing(name);
    if (port !== -1) throw invalid(name, 'it must be -1 with Protocol all');
  }
  const policy = p.str('Policy') || 'accept';
  if (policy !== 'accept' && policy !== 'drop') throw invalid('Policy', 'must be accept or drop');
  if (policy === 'drop') throw invalid('Policy', 'the sim models accept rules only (a group is an allow-list)');
  const description = p.str('Description');
  if (description !== undefined && description.length > 255) throw invalid('Description', 'its length must be 0-255');
  return { source: source(p), priority: p.int('Priority', 1, 100), description };
}

export const AuthorizeSecurityGroupIngress: ActionDef = {
  service: 'vpc',
  clientToken: true,
  async run({ cloud, params: p }) {
    const id = p.required('SecurityGroupId');
    const rule = ruleParams(p);
    await authorizeIngress(cloud, id, rule.source, { priority: rule.priority, description: rule.description });
    return asyncTask();
  },
};

export const RevokeSecurityGroupIngress: ActionDef = {
  service: 'vpc',
  async run({ cloud, params: p }) {
    const id = p.required('SecurityGroupId');
    await revokeIngress(cloud, id, ruleParams(p).source);
    return asyncTask();
  },
};
