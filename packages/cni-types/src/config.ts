import { CniError, ErrorCode } from './errors.ts';
import { fromVersioned } from './result.ts';
import type { Attachment, NetConf, Result, RuntimeConfig, Verb } from './types.ts';
import { SUPPORTED_VERSIONS, isSupportedVersion } from './versions.ts';

const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export interface ParsedConf {
  conf: NetConf;
  /** The config's version: every result and error goes out in it. */
  cniVersion: string;
  /** `prevResult` converted to the internal (1.1.0) shape, if one was sent. */
  prevResult?: Result;
  runtimeConfig: RuntimeConfig;
  disableCheck: boolean;
  /** GC only: the attachments the runtime wants kept (undefined when the key is absent). */
  validAttachments?: Attachment[];
}

const decodeError = (msg: string) => new CniError(ErrorCode.DecodingFailure, msg);
const configError = (msg: string) => new CniError(ErrorCode.InvalidNetworkConfig, msg);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Booleans that may arrive as strings ("true"/"false"), as libcni accepts them. */
export function parseBoolish(value: unknown, field: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw configError(`${field} must be a boolean or "true"/"false", got ${JSON.stringify(value)}`);
}

/** Return a copy of `obj` whose keys matching `canonical` case-insensitively are renamed to it. */
function canonicalKeys(obj: Record<string, unknown>, canonical: readonly string[]): Record<string, unknown> {
  const byLower = new Map(canonical.map((k) => [k.toLowerCase(), k]));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[byLower.get(k.toLowerCase()) ?? k] = v;
  return out;
}

const CAPABILITIES = ['bandwidth', 'portMappings', 'dns', 'ips', 'ipRanges', 'mac', 'infinibandGUID', 'deviceID', 'cgroupPath', 'aliases'] as const;

/**
 * Normalise `runtimeConfig` keys case-insensitively: containerd builds them from
 * Go structs without JSON tags, so plugins see `IngressRate`, `HostPort`, `Servers`.
 */
export function normalizeRuntimeConfig(value: unknown): RuntimeConfig {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw configError('runtimeConfig must be an object');
  const rc = canonicalKeys(value, CAPABILITIES);
  if (isObject(rc.bandwidth)) {
    rc.bandwidth = canonicalKeys(rc.bandwidth, ['ingressRate', 'ingressBurst', 'egressRate', 'egressBurst']);
  }
  if (Array.isArray(rc.portMappings)) {
    rc.portMappings = rc.portMappings.map((pm) => (isObject(pm) ? canonicalKeys(pm, ['hostPort', 'containerPort', 'protocol', 'hostIP']) : pm));
  }
  if (isObject(rc.dns)) rc.dns = canonicalKeys(rc.dns, ['servers', 'searches', 'options']);
  return rc as RuntimeConfig;
}

function parseAttachments(value: unknown, field: string): Attachment[] {
  if (!Array.isArray(value)) throw configError(`${field} must be a list of {containerID, ifname}`);
  return value.map((a, i) => {
    if (!isObject(a) || typeof a.containerID !== 'string' || typeof a.ifname !== 'string') {
      throw configError(`${field}[${i}] must be {"containerID": string, "ifname": string}`);
    }
    return { containerID: a.containerID, ifname: a.ifname };
  });
}

/** Check the `cniVersion` field: code 1 when missing or unsupported. */
export function checkVersion(version: unknown, field = 'cniVersion'): string {
  const supported = `plugin supports [${SUPPORTED_VERSIONS.join(', ')}]`;
  if (version === undefined || version === '') {
    throw new CniError(ErrorCode.IncompatibleVersion, `${field} is missing`, supported);
  }
  if (!isSupportedVersion(version)) {
    throw new CniError(
      ErrorCode.IncompatibleVersion,
      `incompatible CNI versions: ${field} ${JSON.stringify(version)} is not supported`,
      `config is ${JSON.stringify(version)}, ${supported}`,
    );
  }
  return version;
}

/**
 * Parse and validate the network configuration a runtime sends on stdin.
 * Errors: 6 bad JSON, 1 bad cniVersion, 7 bad name or field, 2 unsupported field.
 */
export function parseNetConf(stdin: string, verb: Verb): ParsedConf {
  let raw: unknown;
  try {
    raw = JSON.parse(stdin);
  } catch (err) {
    throw decodeError(`failed to decode network config on stdin: ${(err as Error).message}`);
  }
  if (!isObject(raw)) throw decodeError('failed to decode network config on stdin: not a JSON object');

  const cniVersion = checkVersion(raw.cniVersion);
  if (typeof raw.name !== 'string' || raw.name === '') throw configError('missing network name (field "name")');
  if (!NETWORK_NAME.test(raw.name)) {
    throw configError(`invalid network name ${JSON.stringify(raw.name)}: want [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
  }
  if (raw.type !== undefined && typeof raw.type !== 'string') throw configError('field "type" must be a string');
  if (raw.capabilities !== undefined && !isObject(raw.capabilities)) {
    throw configError('field "capabilities" must be an object of name → boolean');
  }

  const parsed: ParsedConf = {
    conf: raw as unknown as NetConf,
    cniVersion,
    runtimeConfig: normalizeRuntimeConfig(raw.runtimeConfig),
    disableCheck: parseBoolish(raw.disableCheck, 'disableCheck'),
  };

  if (raw.prevResult !== undefined && raw.prevResult !== null) {
    parsed.prevResult = parsePrevResult(raw.prevResult, cniVersion);
  }
  if (verb === 'GC') {
    const key = raw['cni.dev/valid-attachments'] !== undefined ? 'cni.dev/valid-attachments' : 'cni.dev/attachments';
    if (raw[key] !== undefined) parsed.validAttachments = parseAttachments(raw[key], key);
  }
  return parsed;
}

/** `prevResult` must be in the config's version (as Go's ParsePrevResult demands) and well formed. */
export function parsePrevResult(value: unknown, cniVersion: string): Result {
  if (!isObject(value)) throw decodeError('failed to decode prevResult: not a JSON object');
  const version = value.cniVersion ?? cniVersion;
  if (version !== cniVersion) {
    throw new CniError(
      ErrorCode.IncompatibleVersion,
      `prevResult.cniVersion ${JSON.stringify(version)} does not match the config's cniVersion ${JSON.stringify(cniVersion)}`,
    );
  }
  return fromVersioned({ ...value, cniVersion } as unknown as Result);
}
