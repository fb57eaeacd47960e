/**
 * The simulated world's settings: subnets, instance types and their limits,
 * quotas, state-transition delays, flow limits, credential lifetimes.
 * `vpc-sim up --config FILE` takes a JSON object with any of these keys;
 * everything left out keeps its default. Unknown keys are refused by name.
 */
import { UsageError } from '@cello/cli-kit';
import { checkSecurityGroups, type SecurityGroupEntry } from './security-group-config.ts';
import { cidrsOverlap, cidrWithin, parseCidr } from './util/net.ts';

export interface SubnetConfig {
  name: string;
  cidr: string;
  /** An IPv6 /64 (or larger); omit for an IPv4-only subnet. */
  cidrV6?: string;
  zone: string;
  /** The subnet's tags (DescribeSubnets' TagFilters match them: a PodNetwork may choose subnets by tag). */
  tags?: Record<string, string>;
}

export interface InstanceTypeConfig {
  id: string;
  /** ENIs an instance may have attached, the primary included. */
  maximumNetworkInterfaces: number;
  /** IPv4 addresses per ENI, the primary address included (also the IPv6 limit). */
  maximumPrivateIpv4AddressesPerNetworkInterface: number;
  cpus: number;
  memoryMb: number;
}

export interface SimConfig {
  region: string;
  zone: string;
  accountId: string;
  vpcCidr: string;
  vpcCidrV6: string;
  subnets: SubnetConfig[];
  /** Name of the subnet the nodes' primary ENIs live in (default: the first). */
  nodeSubnet?: string;
  /**
   * The account's security groups: names (admitting every source) or `{name, ingress}` objects
   * (security-group-config.ts). The nodes' primary ENIs join the first.
   */
  securityGroups: SecurityGroupEntry[];
  instanceTypes: InstanceTypeConfig[];
  /** The nodes' instance type (`up --instance-type` overrides it). */
  instanceType: string;
  /** Secondary ENIs the account may own in the region (QuotaExceeded.Eni beyond). */
  eniQuota: number;
  /** Secondary IPv4s an ENI may hold while not attached (the documented 49). */
  maxSecondaryIpsUnattached: number;
  /** How long each transitional ENI state lasts, in ms (0 = immediate). */
  delaysMs: { create: number; attach: number; detach: number; delete: number };
  /** How long a new/removed ENI or IP takes to show in (or leave) the metadata service, at least. */
  metadataLagMs: number;
  /** Each ENI's and IP's lag is metadataLagMs × (1 + metadataLagJitter × a random number in [0, 1)). */
  metadataLagJitter: number;
  /**
   * Calls per second the account may make of each action, counted over every
   * caller of the account ("*" = every action, each counted separately), as
   * the real service limits per account and per API. `{}` = no limit.
   */
  flowLimits: Record<string, number>;
  /** Lifetime of the role credentials the metadata service hands out. */
  stsLifetimeSec: number;
  /** The RAM role attached to every instance. */
  ramRole: string;
  /** Largest accepted difference between X-Date and the sim's clock. */
  clockSkewSec: number;
  /** Whether metadata `private_ipv4s` lists the primary address too. */
  metadataPrivateIpv4sIncludesPrimary: boolean;
  /** Drop packets whose source address is not assigned to the ENI they leave by (IPv4). */
  sourceCheck: boolean;
  /** Drop forwarded IPv4 packets that no security group of the receiving ENI admits (stateful). */
  enforceSecurityGroups: boolean;
  /** Accept tag keys beginning `volc:`/`sys:` (the real API refuses them from users: InvalidTagKey.Malformed). */
  allowReservedTagKeys: boolean;
  /** The instances require metadata tokens (MetadataOptions.HttpTokens = required): a read without one gets 401. */
  metadataTokensRequired: boolean;
}

export const DEFAULT_CONFIG: SimConfig = {
  region: 'cn-beijing',
  zone: 'cn-beijing-a',
  accountId: '2100000001',
  vpcCidr: '192.168.0.0/16',
  vpcCidrV6: 'fd00:0:0::/48',
  subnets: [
    { name: 'subnet-1', cidr: '192.168.1.0/24', cidrV6: 'fd00:0:0:1::/64', zone: 'cn-beijing-a' },
    { name: 'subnet-2', cidr: '192.168.2.0/24', cidrV6: 'fd00:0:0:2::/64', zone: 'cn-beijing-a' },
  ],
  securityGroups: ['default'],
  instanceTypes: [
    { id: 'ecs.g3i.large', maximumNetworkInterfaces: 4, maximumPrivateIpv4AddressesPerNetworkInterface: 10, cpus: 2, memoryMb: 8192 },
    { id: 'ecs.g3i.xlarge', maximumNetworkInterfaces: 6, maximumPrivateIpv4AddressesPerNetworkInterface: 15, cpus: 4, memoryMb: 16384 },
    { id: 'ecs.g3i.2xlarge', maximumNetworkInterfaces: 8, maximumPrivateIpv4AddressesPerNetworkInterface: 20, cpus: 8, memoryMb: 32768 },
  ],
  instanceType: 'ecs.g3i.large',
  eniQuota: 50,
  maxSecondaryIpsUnattached: 49,
  delaysMs: { create: 300, attach: 300, detach: 300, delete: 300 },
  metadataLagMs: 250,
  metadataLagJitter: 1,
  // 20 calls/s per action and account: the order of the per-account, per-API limits public clouds document
  // (Volcengine's own tables list 5–100 per API, shared by every user of the account); docs/vpc-sim.md.
  flowLimits: { '*': 20 },
  stsLifetimeSec: 3600,
  ramRole: 'KubernetesNodeRoleForECS',
  clockSkewSec: 900,
  metadataPrivateIpv4sIncludesPrimary: false,
  sourceCheck: true,
  enforceSecurityGroups: true,
  allowReservedTagKeys: false,
  metadataTokensRequired: false,
};

type Shape = 'string' | 'number' | 'boolean' | 'object' | 'array';
const TOP: Record<keyof SimConfig, Shape> = {
  region: 'string',
  zone: 'string',
  accountId: 'string',
  vpcCidr: 'string',
  vpcCidrV6: 'string',
  subnets: 'array',
  nodeSubnet: 'string',
  securityGroups: 'array',
  instanceTypes: 'array',
  instanceType: 'string',
  eniQuota: 'number',
  maxSecondaryIpsUnattached: 'number',
  delaysMs: 'object',
  metadataLagMs: 'number',
  metadataLagJitter: 'number',
  flowLimits: 'object',
  stsLifetimeSec: 'number',
  ramRole: 'string',
  clockSkewSec: 'number',
  metadataPrivateIpv4sIncludesPrimary: 'boolean',
  sourceCheck: 'boolean',
  enforceSecurityGroups: 'boolean',
  allowReservedTagKeys: 'boolean',
  metadataTokensRequired: 'boolean',
};

function shapeOf(v: unknown): Shape | 'null' {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v as Shape;
}

function expect(path: string, v: unknown, shape: Shape) {
  if (shapeOf(v) !== shape) throw new UsageError(`config: "${path}" must be a ${shape}, got ${JSON.stringify(v)}`);
}

function checkKeys(path: string, obj: Record<string, unknown>, allowed: readonly string[]) {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new UsageError(`config: unknown key "${path}${k}" (known: ${allowed.join(', ')})`);
  }
}

function nonNegativeInt(path: string, v: unknown, min = 0) {
  expect(path, v, 'number');
  if (!Number.isInteger(v) || (v as number) < min) throw new UsageError(`config: "${path}" must be an integer ≥ ${min}, got ${v}`);
}

/**
 * Merge a user's partial config over the defaults and check every field.
 * Throws a UsageError (bad input, exit 2) naming the first bad field.
 */
export function resolveConfig(input: unknown = {}): SimConfig {
  if (shapeOf(input) !== 'object') throw new UsageError('config: expected a JSON object');
  const user = input as Record<string, unknown>;
  checkKeys('', user, Object.keys(TOP));
  for (const [k, v] of Object.entries(user)) expect(k, v, TOP[k as keyof SimConfig]);

  if (user.delaysMs) checkKeys('delaysMs.', user.delaysMs as Record<string, unknown>, ['create', 'attach', 'detach', 'delete']);
  const defaults = structuredClone(DEFAULT_CONFIG);
  const cfg: SimConfig = {
    ...defaults,
    ...structuredClone(user as Partial<SimConfig>),
    delaysMs: { ...defaults.delaysMs, ...((user.delaysMs as object) ?? {}) },
  };
  validate(cfg);
  return cfg;
}

function validate(cfg: SimConfig) {
  for (const [k, v] of Object.entries(cfg.delaysMs)) nonNegativeInt(`delaysMs.${k}`, v);
  nonNegativeInt('eniQuota', cfg.eniQuota);
  nonNegativeInt('maxSecondaryIpsUnattached', cfg.maxSecondaryIpsUnattached);
  nonNegativeInt('metadataLagMs', cfg.metadataLagMs);
  if (!(cfg.metadataLagJitter >= 0 && cfg.metadataLagJitter <= 10))
    throw new UsageError(`config: "metadataLagJitter" must be a number from 0 to 10, got ${cfg.metadataLagJitter}`);
  nonNegativeInt('stsLifetimeSec', cfg.stsLifetimeSec, 1);
  nonNegativeInt('clockSkewSec', cfg.clockSkewSec, 1);
  for (const [action, rate] of Object.entries(cfg.flowLimits)) nonNegativeInt(`flowLimits.${action}`, rate, 1);
  if (!/^\d{1,20}$/.test(cfg.accountId)) throw new UsageError('config: "accountId" must be digits');

  const vpc = cidr('vpcCidr', cfg.vpcCidr, 4);
  const vpc6 = cidr('vpcCidrV6', cfg.vpcCidrV6, 6);
  if (!cfg.subnets.length) throw new UsageError('config: "subnets" needs at least one subnet');
  const seen: Array<ReturnType<typeof parseCidr>> = [];
  cfg.subnets.forEach((s, i) => {
    const p = `subnets[${i}]`;
    expect(p, s, 'object');
    checkKeys(`${p}.`, s as unknown as Record<string, unknown>, ['name', 'cidr', 'cidrV6', 'zone', 'tags']);
    if (s.tags !== undefined) {
      expect(`${p}.tags`, s.tags, 'object');
      for (const [k, v] of Object.entries(s.tags)) {
        if (!k || typeof v !== 'string') throw new UsageError(`config: "${p}.tags" must map tag keys to string values (${JSON.stringify(k)})`);
      }
    }
    expect(`${p}.name`, s.name, 'string');
    if (s.zone === undefined) s.zone = cfg.zone;
    expect(`${p}.zone`, s.zone, 'string');
    const c = cidr(`${p}.cidr`, s.cidr, 4);
    if (!cidrWithin(c, vpc)) throw new UsageError(`config: "${p}.cidr" ${s.cidr} is outside vpcCidr ${cfg.vpcCidr}`);
    if (c.prefix > 29) throw new UsageError(`config: "${p}.cidr" ${s.cidr} is too small (at most /29)`);
    for (const other of seen) {
      if (cidrsOverlap(c, other)) throw new UsageError(`config: "${p}.cidr" ${s.cidr} overlaps ${other.text}`);
    }
    seen.push(c);
    if (s.cidrV6 !== undefined) {
      const c6 = cidr(`${p}.cidrV6`, s.cidrV6, 6);
      if (!cidrWithin(c6, vpc6)) throw new UsageError(`config: "${p}.cidrV6" ${s.cidrV6} is outside vpcCidrV6 ${cfg.vpcCidrV6}`);
      if (c6.prefix > 120) throw new UsageError(`config: "${p}.cidrV6" ${s.cidrV6} is too small (at most /120)`);
    }
  });
  const names = cfg.subnets.map((s) => s.name);
  if (new Set(names).size !== names.length) throw new UsageError('config: subnet names must be unique');
  if (cfg.nodeSubnet !== undefined && !names.includes(cfg.nodeSubnet)) {
    throw new UsageError(`config: "nodeSubnet" ${cfg.nodeSubnet} is not one of the subnets (${names.join(', ')})`);
  }
  checkSecurityGroups(cfg.securityGroups);
  if (!cfg.instanceTypes.length) throw new UsageError('config: "instanceTypes" needs at least one type');
  cfg.instanceTypes.forEach((t, i) => {
    const p = `instanceTypes[${i}]`;
    expect(p, t, 'object');
    checkKeys(`${p}.`, t as unknown as Record<string, unknown>, [
      'id',
      'maximumNetworkInterfaces',
      'maximumPrivateIpv4AddressesPerNetworkInterface',
      'cpus',
      'memoryMb',
    ]);
    expect(`${p}.id`, t.id, 'string');
    t.cpus ??= 2;
    t.memoryMb ??= 8192;
    nonNegativeInt(`${p}.maximumNetworkInterfaces`, t.maximumNetworkInterfaces, 1);
    nonNegativeInt(`${p}.maximumPrivateIpv4AddressesPerNetworkInterface`, t.maximumPrivateIpv4AddressesPerNetworkInterface, 1);
    nonNegativeInt(`${p}.cpus`, t.cpus, 1);
    nonNegativeInt(`${p}.memoryMb`, t.memoryMb, 1);
  });
  if (!cfg.instanceTypes.some((t) => t.id === cfg.instanceType)) {
    throw new UsageError(`config: instance type ${cfg.instanceType} is not one of instanceTypes (${cfg.instanceTypes.map((t) => t.id).join(', ')})`);
  }
}

function cidr(path: string, text: string, family: 4 | 6) {
  try {
    const c = parseCidr(text);
    if (c.family !== family) throw new Error('wrong family');
    return c;
  } catch {
    throw new UsageError(`config: "${path}" must be an IPv${family} CIDR, got ${JSON.stringify(text)}`);
  }
}
