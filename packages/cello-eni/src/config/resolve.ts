/**
 * From parsed files to the config in effect: node overrides merged over the
 * cluster file, upstream's defaults and clamps applied, cross-field rules
 * checked. Every problem is a ConfigError whose message starts with the
 * field; quirks upstream tolerated (poolTargetLimit out of range, both
 * ramRole and keys) become warnings.
 */
import { isSecretKey, UsageError } from '@cello/cli-kit';
import type { z } from 'zod';
import { DEFAULT_METRICS_LISTEN } from './listen.ts';
import {
  CALL_CLASSES,
  type CallClass,
  type ClusterInput,
  clusterSchema,
  type DATAPATHS,
  type IP_FAMILIES,
  KNOWN_KEYS,
  type NETWORK_MODES,
  NODE_KEYS,
} from './schema.ts';

/** A config file that cannot be used: bad input (a UsageError, exit 2) naming the file and the field. */
export class ConfigError extends UsageError {
  override readonly name = 'ConfigError';
  constructor(
    /** The field path, e.g. `poolTarget` or `rateLimits.CreateNetworkInterface.qps`. */
    readonly field: string,
    message: string,
    readonly file?: string,
  ) {
    super(`${file ? `${file}: ` : ''}${field}: ${message}`);
  }
}

export interface RatePolicy {
  qps: number;
  burst: number;
}

export interface BackoffPolicy {
  initialMs: number;
  factor: number;
  jitter: number;
  steps: number;
  maxMs: number;
}

export interface CelloConfig {
  subnets: string[];
  securityGroups: string[];
  ramRole?: string;
  credentialAccessKeyId?: string;
  credentialAccessKeySecret?: string;
  openApiAddress: string;
  metadataAddress: string;
  poolTarget: number;
  poolTargetMin: number;
  poolTargetLimit: number;
  poolMaxCap?: number;
  poolMaxCapProbe: boolean;
  poolMonitorIntervalSec: number;
  poolGCProtectPeriodSec: number;
  reconcileIntervalSec: number;
  subnetStatAgingSec: number;
  subnetStatUpdateIntervalSec: number;
  enableTrunk: boolean;
  networkMode: (typeof NETWORK_MODES)[number];
  ipFamily: (typeof IP_FAMILIES)[number];
  platform: string;
  clusterName?: string;
  datapath: (typeof DATAPATHS)[number];
  ipCooldownSec: number;
  subnetHoldOffSec: number;
  rateLimits: Record<string, RatePolicy>;
  backoff: Record<CallClass, BackoffPolicy>;
  openApiTimeoutSec: number;
  metadataTimeoutSec: number;
  waitTimeoutSec: number;
  maxConcurrentEniCreates: number;
  podNetworkPoolTarget: number;
  /** Attach new ENIs with DeleteOnTermination: they go with a deleted instance. */
  deleteEniOnTermination: boolean;
  /** cello-agent's metrics and health server, `[host]:port`. */
  metricsListen: string;
}

export interface Resolved {
  config: CelloConfig;
  /** Things upstream tolerated that an operator should still hear about. */
  warnings: string[];
}

export const DEFAULT_OPENAPI_ADDRESS = 'open.volcengineapi.com';
export const DEFAULT_METADATA_ADDRESS = 'http://100.96.0.96';

/** Per-action client rates: writes are kept well under an account's flow limit, so many nodes can share it. */
export const DEFAULT_RATE_LIMITS: Record<string, RatePolicy> = {
  default: { qps: 8, burst: 16 },
  CreateNetworkInterface: { qps: 2, burst: 4 },
  AttachNetworkInterface: { qps: 2, burst: 4 },
  DetachNetworkInterface: { qps: 2, burst: 4 },
  DeleteNetworkInterface: { qps: 2, burst: 4 },
  AssignPrivateIpAddresses: { qps: 4, burst: 8 },
  UnassignPrivateIpAddresses: { qps: 4, burst: 8 },
  AssignIpv6Addresses: { qps: 4, burst: 8 },
  UnassignIpv6Addresses: { qps: 4, burst: 8 },
};

export const DEFAULT_BACKOFF: Record<CallClass, BackoffPolicy> = {
  write: { initialMs: 1000, factor: 1.5, jitter: 0.5, steps: 8, maxMs: 20_000 },
  describe: { initialMs: 500, factor: 1.7, jitter: 0.3, steps: 6, maxMs: 10_000 },
  wait: { initialMs: 300, factor: 1.5, jitter: 0.2, steps: 100, maxMs: 3_000 },
};

type Raw = Record<string, unknown>;

function fieldOf(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('') || '(document)';
}

/** Parse one file's object with the schema; the first issue becomes a ConfigError naming its field. */
export function parseWith<T>(schema: z.ZodType<T>, input: unknown, file?: string): T {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError('(document)', 'expected a JSON object', file);
  }
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    throw new ConfigError(fieldOf([...issue.path, issue.keys[0]!]), `unknown key (${issue.message})`, file);
  }
  if (issue.code === 'invalid_key') {
    throw new ConfigError(fieldOf(issue.path), issue.issues[0]?.message ?? issue.message, file);
  }
  const got = issue.path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Raw)[k as string] : undefined), input);
  const shown = issue.code === 'invalid_type' || issue.code === 'invalid_value' ? `, got ${shownValue(issue.path, got, input)}` : '';
  throw new ConfigError(fieldOf(issue.path), `${issue.message}${shown}`, file);
}

/** Every scalar under a secret-named key (credentialAccessKeySecret, …) anywhere in the document, whatever its type, as text. */
function secretValues(input: unknown, underSecret = false, out: string[] = []): string[] {
  if (Array.isArray(input)) for (const v of input) secretValues(v, underSecret, out);
  else if (input && typeof input === 'object') for (const [k, v] of Object.entries(input)) secretValues(v, underSecret || isSecretKey(k), out);
  else if (underSecret && input !== undefined && input !== null) out.push(String(input));
  return out;
}

const kindOf = (v: unknown) =>
  v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : typeof v === 'boolean' ? 'true or false' : `a ${typeof v}`;

/**
 * A refused value as an error may quote it: JSON, unless it is (or holds)
 * the value of a secret-named key — then only its kind. Errors reach logs
 * and Kubernetes Events, which many can read (issue 18).
 */
function shownValue(path: PropertyKey[], got: unknown, input: unknown): string {
  if (got === undefined) return 'nothing';
  if (path.some((p) => typeof p === 'string' && isSecretKey(p))) return `${kindOf(got)} (a secret's value is not shown)`;
  const text = JSON.stringify(got) ?? String(got);
  if (secretValues(input).some((s) => s.length >= 4 && text.includes(s))) return `${kindOf(got)} (it holds a secret's value, not shown)`;
  return text;
}

/** Split the node file into the keys it may override and warnings for the rest. */
export function nodeOverrides(input: Raw, file?: string): { overrides: Partial<ClusterInput>; warnings: string[] } {
  const warnings: string[] = [];
  const picked: Raw = {};
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined) continue; // absent (only possible in-process: JSON has no undefined)
    if ((NODE_KEYS as readonly string[]).includes(k)) picked[k] = v;
    else warnings.push(`${file ?? 'node config'}: ${k} is ignored (a node may override only ${NODE_KEYS.join(', ')})`);
  }
  const schema = clusterSchema
    .pick({ poolTargetLimit: true, poolTarget: true, poolTargetMin: true, enableTrunk: true, securityGroups: true, subnets: true })
    .partial();
  return { overrides: parseWith(schema, picked, file) as Partial<ClusterInput>, warnings };
}

function checkAddress(field: string, value: string, defaultProtocol: 'http:' | 'https:', file?: string): string {
  try {
    const url = new URL(value.includes('://') ? value : `${defaultProtocol}//${value}`);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) throw new Error('path');
    return value;
  } catch {
    // A user:password@ part is a credential: say so without echoing it.
    const shown = value.includes('@') ? 'a value with user info (not shown)' : JSON.stringify(value);
    throw new ConfigError(field, `expected a host (host[:port]) or an http(s) URL without a path or user info, got ${shown}`, file);
  }
}

/**
 * The config in effect: `cluster` is the parsed cluster file, `node` the
 * node file's overrides (already filtered to NODE_KEYS).
 */
export function resolveConfig(clusterInput: unknown, nodeInput?: unknown, files: { cluster?: string; node?: string } = {}): Resolved {
  const warnings: string[] = [];
  const cluster = parseWith(clusterSchema, clusterInput, files.cluster);
  for (const k of Object.keys(clusterInput as Raw)) {
    if (!KNOWN_KEYS.includes(k)) warnings.push(`${files.cluster ?? 'config'}: unknown key ${k} is ignored`);
  }
  let node: Partial<ClusterInput> = {};
  if (nodeInput !== undefined) {
    if (typeof nodeInput !== 'object' || nodeInput === null || Array.isArray(nodeInput))
      throw new ConfigError('(document)', 'expected a JSON object', files.node);
    const n = nodeOverrides(nodeInput as Raw, files.node);
    node = n.overrides;
    warnings.push(...n.warnings);
  }
  const c: ClusterInput = { ...cluster, ...node };
  const file = files.cluster;

  const securityGroups = c.securityGroups ?? c.security_groups;
  if (!securityGroups) throw new ConfigError('securityGroups', 'is required: the security group ids new ENIs join', file);
  if (c.securityGroups && c.security_groups) warnings.push('security_groups (legacy) is ignored because securityGroups is set');

  if (c.ramRole && (c.credentialAccessKeyId || c.credentialAccessKeySecret)) {
    warnings.push('ramRole is set, so credentialAccessKeyId/credentialAccessKeySecret are ignored (as upstream)');
  }
  if (!c.ramRole) {
    if (!c.credentialAccessKeyId && !c.credentialAccessKeySecret) {
      throw new ConfigError('ramRole', 'is required unless credentialAccessKeyId and credentialAccessKeySecret are set', file);
    }
    if (!c.credentialAccessKeyId) throw new ConfigError('credentialAccessKeyId', 'is required with credentialAccessKeySecret', file);
    if (!c.credentialAccessKeySecret) throw new ConfigError('credentialAccessKeySecret', 'is required with credentialAccessKeyId', file);
  }
  if (c.enableTrunk) warnings.push('enableTrunk is not supported and is ignored');

  let poolTargetLimit = c.poolTargetLimit ?? 1;
  if (!(poolTargetLimit > 0 && poolTargetLimit <= 1)) {
    if (c.poolTargetLimit !== undefined) warnings.push(`poolTargetLimit ${c.poolTargetLimit} is outside (0, 1]; using 1 (as upstream)`);
    poolTargetLimit = 1;
  }
  // Upstream: no poolMaxCap means probe; poolMaxCap without poolMaxCapProbe crashed there, here it means "use the cap".
  const poolMaxCapProbe = c.poolMaxCapProbe ?? c.poolMaxCap === undefined;

  const rateLimits: Record<string, RatePolicy> = { ...DEFAULT_RATE_LIMITS };
  for (const [action, r] of Object.entries(c.rateLimits ?? {})) rateLimits[action] = { qps: r.qps, burst: r.burst ?? Math.max(1, Math.ceil(r.qps)) };
  const backoff = Object.fromEntries(CALL_CLASSES.map((k) => [k, { ...DEFAULT_BACKOFF[k], ...(c.backoff?.[k] ?? {}) }])) as Record<CallClass, BackoffPolicy>;

  const config: CelloConfig = {
    subnets: c.subnets,
    securityGroups,
    ...(c.ramRole ? { ramRole: c.ramRole } : { credentialAccessKeyId: c.credentialAccessKeyId, credentialAccessKeySecret: c.credentialAccessKeySecret }),
    openApiAddress: checkAddress('openApiAddress', c.openApiAddress ?? DEFAULT_OPENAPI_ADDRESS, 'https:', file),
    metadataAddress: checkAddress('metadataAddress', c.metadataAddress ?? DEFAULT_METADATA_ADDRESS, 'http:', file),
    poolTarget: c.poolTarget ?? 0,
    poolTargetMin: c.poolTargetMin ?? 0,
    poolTargetLimit,
    ...(c.poolMaxCap !== undefined ? { poolMaxCap: c.poolMaxCap } : {}),
    poolMaxCapProbe,
    poolMonitorIntervalSec: c.poolMonitorIntervalSec ?? 120,
    poolGCProtectPeriodSec: c.poolGCProtectPeriodSec ?? 120,
    reconcileIntervalSec: c.reconcileIntervalSec ?? 1200,
    subnetStatAgingSec: c.subnetStatAgingSec ?? 40,
    subnetStatUpdateIntervalSec: c.subnetStatUpdateIntervalSec ?? 60,
    enableTrunk: false,
    networkMode: c.networkMode ?? 'eni_shared',
    ipFamily: c.ipFamily ?? 'ipv4',
    platform: c.platform?.trim() || 'kubernetes',
    ...(c.clusterName ? { clusterName: c.clusterName } : {}),
    datapath: c.datapath ?? 'auto',
    ipCooldownSec: c.ipCooldownSec ?? 30,
    subnetHoldOffSec: c.subnetHoldOffSec ?? 120,
    rateLimits,
    backoff,
    openApiTimeoutSec: c.openApiTimeoutSec ?? 10,
    metadataTimeoutSec: c.metadataTimeoutSec ?? 5,
    waitTimeoutSec: c.waitTimeoutSec ?? 120,
    maxConcurrentEniCreates: c.maxConcurrentEniCreates ?? 2,
    podNetworkPoolTarget: c.podNetworkPoolTarget ?? 1,
    deleteEniOnTermination: c.deleteEniOnTermination ?? false,
    metricsListen: c.metricsListen ?? DEFAULT_METRICS_LISTEN,
  };
  return { config, warnings };
}

/** The OpenAPI endpoint: a bare host means https. */
export function openApiEndpoint(cfg: Pick<CelloConfig, 'openApiAddress'>): { protocol: 'http:' | 'https:'; host: string } {
  const url = new URL(cfg.openApiAddress.includes('://') ? cfg.openApiAddress : `https://${cfg.openApiAddress}`);
  return { protocol: url.protocol as 'http:' | 'https:', host: url.host };
}

/** The metadata service's base URL (no trailing slash); a bare host means http. */
export function metadataBase(cfg: Pick<CelloConfig, 'metadataAddress'>): string {
  const url = new URL(cfg.metadataAddress.includes('://') ? cfg.metadataAddress : `http://${cfg.metadataAddress}`);
  return `${url.protocol}//${url.host}`;
}

/** The ENI mode cello-ipam stores. */
export const ipamMode = (cfg: Pick<CelloConfig, 'networkMode'>) => (cfg.networkMode === 'eni_exclusive' ? 'exclusive' : 'shared');
