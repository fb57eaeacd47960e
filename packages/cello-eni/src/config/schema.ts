/**
 * The `cello-config` ConfigMap's `conf` JSON: upstream Cello's keys (same
 * names, same defaults: upstream's pkg/config/config.go) plus ours. docs/config.md
 * is the operator's reference for every key; keep the two in step.
 *
 * Parsing never throws anything but a ConfigError naming the field, whatever
 * the input (a property test feeds it random documents).
 */
import { z } from 'zod';
import { parseListenAddress } from './listen.ts';

export const NETWORK_MODES = ['eni_shared', 'eni_exclusive'] as const;
export const IP_FAMILIES = ['ipv4', 'ipv6', 'dual'] as const;
export const DATAPATHS = ['auto', 'ipvlan', 'veth'] as const;

/** Operation classes of the OpenAPI client, each with its own retry schedule. */
export const CALL_CLASSES = ['write', 'describe', 'wait'] as const;
export type CallClass = (typeof CALL_CLASSES)[number];

const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .number({ error: `expected a whole number ≥ ${min}` })
    .int({ error: `expected a whole number ≥ ${min}` })
    .min(min, { error: `must be ≥ ${min}` })
    .max(max, { error: `must be ≤ ${max}` });

const nonEmpty = (what: string) =>
  z
    .string({ error: `expected ${what} (a string)` })
    .trim()
    .min(1, { error: `${what} must not be empty` });

const idList = (what: string) =>
  z
    .array(nonEmpty(what), { error: `expected a list of ${what}s` })
    .min(1, { error: `needs at least one ${what}` })
    .refine((l) => new Set(l).size === l.length, { error: `lists a ${what} twice` });

const oneOf = <T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: `expected one of ${values.join(', ')}` });

const rate = z.strictObject(
  {
    qps: z.number({ error: 'expected calls per second (a number > 0)' }).positive({ error: 'qps must be > 0' }).max(10_000, { error: 'qps must be ≤ 10000' }),
    burst: wholeNumber(1, 10_000).optional(),
  },
  { error: 'expected {"qps": N, "burst": N}' },
);

const backoff = z.strictObject(
  {
    initialMs: wholeNumber(1, 600_000).optional(),
    factor: z.number({ error: 'expected a number ≥ 1' }).min(1, { error: 'factor must be ≥ 1' }).max(10, { error: 'factor must be ≤ 10' }).optional(),
    jitter: z.number({ error: 'expected a number in [0, 1]' }).min(0, { error: 'jitter must be ≥ 0' }).max(1, { error: 'jitter must be ≤ 1' }).optional(),
    steps: wholeNumber(1, 100).optional(),
    maxMs: wholeNumber(1, 3_600_000).optional(),
  },
  { error: 'expected {"initialMs", "factor", "jitter", "steps", "maxMs"}' },
);

/** Every key the cluster file may hold. Unknown keys are reported as warnings, not refused (upstream ignores them). */
export const clusterSchema = z.object({
  // --- upstream Cello ---
  subnets: idList('subnet id'),
  securityGroups: idList('security group id')
    .refine((l) => l.length <= 5, { error: 'an ENI joins at most 5 security groups' })
    .optional(),
  /** Legacy spelling of securityGroups. */
  security_groups: idList('security group id').optional(),
  ramRole: nonEmpty('a RAM role name').optional(),
  credentialAccessKeyId: nonEmpty('an access key id').optional(),
  credentialAccessKeySecret: nonEmpty('an access key secret').optional(),
  /** Parsed and ignored, as upstream does. */
  credentialServerAddress: z.string({ error: 'expected a string' }).optional(),
  openApiAddress: nonEmpty('a host or URL').optional(),
  poolTarget: wholeNumber(0).optional(),
  poolTargetMin: wholeNumber(0).optional(),
  poolTargetLimit: z.number({ error: 'expected a number (0 < limit ≤ 1)' }).optional(),
  poolMaxCap: wholeNumber(0).optional(),
  poolMaxCapProbe: z.boolean({ error: 'expected true or false' }).optional(),
  poolMonitorIntervalSec: wholeNumber(1, 86_400).optional(),
  poolGCProtectPeriodSec: wholeNumber(0, 86_400).optional(),
  reconcileIntervalSec: wholeNumber(1, 86_400).optional(),
  subnetStatAgingSec: wholeNumber(0, 86_400).optional(),
  subnetStatUpdateIntervalSec: wholeNumber(1, 86_400).optional(),
  enableTrunk: z.boolean({ error: 'expected true or false' }).optional(),
  heathAndDebugPort: z.number({ error: 'expected a port number' }).optional(),
  networkMode: oneOf(NETWORK_MODES).optional(),
  ipFamily: oneOf(IP_FAMILIES).optional(),
  platform: z.string({ error: 'expected a string (vke or kubernetes)' }).optional(),
  // --- ours ---
  clusterName: z
    .string({ error: 'expected a string' })
    .regex(/^[A-Za-z0-9._:/=+@-]{1,128}$/, { error: 'expected 1-128 letters, digits or ._:/=+@- (it becomes a tag value)' })
    .optional(),
  datapath: oneOf(DATAPATHS).optional(),
  ipCooldownSec: wholeNumber(0, 86_400).optional(),
  metadataAddress: nonEmpty('a URL').optional(),
  /** How long a subnet that answered InsufficientIpInSubnet is skipped. */
  subnetHoldOffSec: wholeNumber(0, 86_400).optional(),
  /** Client-side token buckets per API action; `default` applies to every action not named. */
  rateLimits: z
    .record(z.string().regex(/^(default|[A-Z][A-Za-z0-9]+)$/, { error: 'expected an action name (e.g. CreateNetworkInterface) or "default"' }), rate, {
      error: 'expected an object of action → {qps, burst}',
    })
    .optional(),
  /** Retry schedules per operation class. */
  backoff: z.partialRecord(oneOf(CALL_CLASSES), backoff, { error: 'expected an object with write, describe and/or wait' }).optional(),
  openApiTimeoutSec: wholeNumber(1, 300).optional(),
  metadataTimeoutSec: wholeNumber(1, 300).optional(),
  /** Longest wait for an ENI or IP to reach a state (cloud status, host device, metadata). */
  waitTimeoutSec: wholeNumber(1, 3600).optional(),
  /** ENIs brought up at once by the keeper (upstream: 2). */
  maxConcurrentEniCreates: wholeNumber(1, 16).optional(),
  /** Free units each pod network in use on the node keeps ready (docs/podnetworks.md). */
  podNetworkPoolTarget: wholeNumber(0, 1000).optional(),
  /** Attach new ENIs with DeleteOnTermination, so they go with a deleted instance (opt-in). */
  deleteEniOnTermination: z.boolean({ error: 'expected true or false' }).optional(),
  /** cello-agent's metrics and health server (`cello-agent run --listen` wins). */
  metricsListen: z
    .string({ error: 'expected [host]:port (a string), e.g. ":11414" or "192.168.0.5:11414"' })
    .refine((v) => parseListenAddress(v) !== undefined, {
      error: 'expected [host]:port with no host or an IP address ([…] for IPv6) and a port 1-65535, e.g. ":11414"',
    })
    .optional(),
});

export type ClusterInput = z.infer<typeof clusterSchema>;

/** The keys a node's file may override, as upstream (the rest are ignored with a warning). */
export const NODE_KEYS = ['poolTargetLimit', 'poolTarget', 'poolTargetMin', 'enableTrunk', 'securityGroups', 'subnets'] as const;
export type NodeKey = (typeof NODE_KEYS)[number];

/** Keys the keeper applies without a restart when the files change (as upstream). */
export const LIVE_KEYS = ['subnets', 'securityGroups', 'poolTarget', 'poolTargetMin'] as const;

export const KNOWN_KEYS = Object.keys(clusterSchema.shape);
