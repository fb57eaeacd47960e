/**
 * The config's `securityGroups`: each entry is a name — a group that admits
 * every source (one ingress rule from 0.0.0.0/0), as the sim's groups always
 * did — or an object `{name, description?, ingress?}` whose ingress rules
 * admit a source security group (`{sourceGroup: NAME}`: every address of
 * every ENI in it) or an IPv4 CIDR (`{cidr}`). An object without `ingress`
 * admits everything too; `ingress: []` admits nothing but return traffic.
 * Checked here with errors naming the field, as config.ts checks the rest;
 * cloud/world.ts turns the entries into groups with rules.
 */
import { UsageError } from '@cello/cli-kit';
import { parseCidr } from './util/net.ts';

export interface IngressConfig {
  /** Name of a configured group: its members' addresses may send. */
  sourceGroup?: string;
  /** An IPv4 CIDR that may send. */
  cidr?: string;
}

export interface SecurityGroupConfig {
  name: string;
  description?: string;
  /** Omitted: every source may send (0.0.0.0/0). */
  ingress?: IngressConfig[];
}

export type SecurityGroupEntry = string | SecurityGroupConfig;

/** The rule a plain name (or an object without `ingress`) stands for. */
export const ALLOW_ALL: IngressConfig = { cidr: '0.0.0.0/0' };

/** An entry as an object with its ingress rules spelled out (CIDRs canonical). */
export function groupConfig(entry: SecurityGroupEntry): Required<SecurityGroupConfig> {
  if (typeof entry === 'string') return { name: entry, description: '', ingress: [ALLOW_ALL] };
  const ingress = (entry.ingress ?? [ALLOW_ALL]).map((r) => (r.cidr !== undefined ? { cidr: parseCidr(r.cidr).text } : { sourceGroup: r.sourceGroup! }));
  return { name: entry.name, description: entry.description ?? '', ingress };
}

function fail(path: string, why: string): never {
  throw new UsageError(`config: "${path}" ${why}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkKeys(path: string, obj: Record<string, unknown>, allowed: readonly string[]) {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) fail(`${path}.${k}`, `is not a known key (known: ${allowed.join(', ')})`);
}

function checkRule(path: string, rule: unknown, names: string[]) {
  if (!isObject(rule)) fail(path, `must be an object {sourceGroup} or {cidr}, got ${JSON.stringify(rule)}`);
  checkKeys(path, rule, ['sourceGroup', 'cidr']);
  const given = ['sourceGroup', 'cidr'].filter((k) => rule[k] !== undefined);
  if (given.length !== 1) fail(path, 'needs exactly one of sourceGroup or cidr');
  if (rule.sourceGroup !== undefined) {
    if (typeof rule.sourceGroup !== 'string' || !names.includes(rule.sourceGroup)) {
      fail(`${path}.sourceGroup`, `must name one of the configured groups (${names.join(', ')}), got ${JSON.stringify(rule.sourceGroup)}`);
    }
    return;
  }
  let family = 0;
  try {
    family = parseCidr(String(rule.cidr)).family;
  } catch {
    // reported below
  }
  if (typeof rule.cidr !== 'string' || family !== 4) fail(`${path}.cidr`, `must be an IPv4 CIDR, got ${JSON.stringify(rule.cidr)}`);
}

/** Check the `securityGroups` list; throws a UsageError naming the first bad field. */
export function checkSecurityGroups(list: unknown[]): void {
  if (!list.length) fail('securityGroups', 'must be a non-empty list of names or {name, ingress} objects');
  const names = list.map((g) => (isObject(g) ? g.name : g));
  list.forEach((entry, i) => {
    const p = `securityGroups[${i}]`;
    if (typeof entry === 'string') {
      if (!entry) fail(p, 'must not be an empty name');
      return;
    }
    if (!isObject(entry)) fail(p, `must be a name or an object {name, description?, ingress?}, got ${JSON.stringify(entry)}`);
    checkKeys(p, entry, ['name', 'description', 'ingress']);
    if (typeof entry.name !== 'string' || !entry.name) fail(`${p}.name`, `must be a non-empty string, got ${JSON.stringify(entry.name)}`);
    if (entry.description !== undefined && typeof entry.description !== 'string') fail(`${p}.description`, 'must be a string');
    if (entry.ingress === undefined) return;
    if (!Array.isArray(entry.ingress)) fail(`${p}.ingress`, `must be a list of rules, got ${JSON.stringify(entry.ingress)}`);
    const known = names.filter((n): n is string => typeof n === 'string');
    for (const [j, rule] of entry.ingress.entries()) checkRule(`${p}.ingress[${j}]`, rule, known);
  });
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) fail('securityGroups', `names must be unique (${JSON.stringify(dup)} is given twice)`);
}
