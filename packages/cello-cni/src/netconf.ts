/**
 * cello-cni's keys in a conflist's plugin object: what they mean, their
 * defaults, and validateConfig, which every verb runs first.
 */
import { CniError, ErrorCode, type NetConf, type ParsedConf } from '@cello/cni-types';
import { type DatapathChoice, parseBandwidth } from '@cello/cello-link';

/** Capabilities cello-cni honours; any other in `capabilities` or `runtimeConfig` is refused (code 2). */
export const CAPABILITIES = ['bandwidth', 'io.kubernetes.cri.pod-annotations'] as const;

/** cello-cni's own keys in the plugin object of a conflist, with their defaults. */
export interface CelloNetConf {
  /** cello-ipam's database directory. */
  stateDir: string;
  /** JSON-lines log file; "" logs to stderr. */
  logFile: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Unset: the node's setting (cello-ipam settings, written by the pool keeper from cello-config). */
  datapath?: DatapathChoice;
  /** How long an ADD that found the pool empty waits for the keeper to add an IP. */
  poolWaitSec: number;
  /** How long an ADD waits for cello-agent's decision of its pod's network, while PodNetworks exist (docs/podnetworks.md). */
  podNetworkWaitSec: number;
}

export const DEFAULTS: Omit<CelloNetConf, 'datapath'> = {
  stateDir: '/var/lib/cello',
  logFile: '/var/log/cello/cni.log',
  logLevel: 'info',
  poolWaitSec: 10,
  podNetworkWaitSec: 10,
};

const unsupported = (msg: string) => new CniError(ErrorCode.UnsupportedField, msg);
const invalid = (msg: string) => new CniError(ErrorCode.InvalidNetworkConfig, msg);

function str(conf: NetConf, key: keyof CelloNetConf, fallback: string): string {
  const v = conf[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'string') throw invalid(`field "${key}" must be a string`);
  return v;
}

function oneOf<T extends string>(conf: NetConf, key: keyof CelloNetConf, allowed: readonly T[], fallback: T): T {
  const v = str(conf, key, fallback);
  if (!(allowed as readonly string[]).includes(v)) throw invalid(`field "${key}" must be one of ${allowed.join('|')}, got "${v}"`);
  return v as T;
}

function nonNegative(conf: NetConf, key: keyof CelloNetConf, fallback: number): number {
  const v = conf[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalid(`field "${key}" must be a number ≥ 0`);
  return v;
}

/** A directory cello keeps state in: an absolute path (an empty or relative one would land wherever the runtime runs us). */
function dir(conf: NetConf, key: keyof CelloNetConf, fallback: string): string {
  const v = str(conf, key, fallback);
  if (!v.startsWith('/')) throw invalid(`field "${key}" must be an absolute directory path, got ${JSON.stringify(v)}`);
  return v;
}

/** The bandwidth capability, checked by the same rules cello-link shapes by; a bad one is an invalid config (code 7). */
function checkBandwidth(parsed: ParsedConf) {
  try {
    parseBandwidth(parsed.runtimeConfig.bandwidth, 'runtimeConfig.bandwidth');
  } catch (err) {
    throw invalid((err as Error).message);
  }
}

/**
 * Config validation, the first step of every verb but VERSION: cello-cni's
 * keys and capabilities (the skel has checked the spec's: cniVersion, name,
 * prevResult). Returns the effective settings; code 2 for a capability or
 * runtimeConfig key cello-cni does not implement, 7 for an invalid field.
 */
export function validateConfig(parsed: ParsedConf): CelloNetConf {
  const { conf } = parsed;
  const known = CAPABILITIES as readonly string[];
  for (const [cap, on] of Object.entries(conf.capabilities ?? {})) {
    if (on === true && !known.includes(cap)) {
      throw unsupported(`unsupported capability "${cap}": cello-cni supports ${known.join(', ')}`);
    }
  }
  for (const key of Object.keys(parsed.runtimeConfig)) {
    if (!known.includes(key)) throw unsupported(`unsupported field runtimeConfig.${key}: cello-cni supports ${known.join(', ')}`);
  }
  checkBandwidth(parsed);
  return {
    stateDir: dir(conf, 'stateDir', DEFAULTS.stateDir),
    logFile: str(conf, 'logFile', DEFAULTS.logFile),
    logLevel: oneOf(conf, 'logLevel', ['debug', 'info', 'warn', 'error'], DEFAULTS.logLevel),
    datapath: conf.datapath === undefined ? undefined : oneOf<DatapathChoice>(conf, 'datapath', ['auto', 'ipvlan', 'veth'], 'auto'),
    poolWaitSec: nonNegative(conf, 'poolWaitSec', DEFAULTS.poolWaitSec),
    podNetworkWaitSec: nonNegative(conf, 'podNetworkWaitSec', DEFAULTS.podNetworkWaitSec),
  };
}
