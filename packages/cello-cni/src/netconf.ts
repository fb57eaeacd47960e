import { CniError, ErrorCode, type NetConf, type ParsedConf } from '@cello/cni-types';
import type { DatapathChoice } from '@cello/cello-link';

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
}

export const DEFAULTS: Omit<CelloNetConf, 'datapath'> = {
  stateDir: '/var/lib/cello',
  logFile: '/var/log/cello/cni.log',
  logLevel: 'info',
  poolWaitSec: 10,
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

function checkBandwidth(parsed: ParsedConf) {
  const bw = parsed.runtimeConfig.bandwidth;
  if (bw === undefined) return;
  if (typeof bw !== 'object' || bw === null) throw invalid('runtimeConfig.bandwidth must be an object');
  for (const dir of ['ingress', 'egress'] as const) {
    const rate = bw[`${dir}Rate`] ?? 0;
    const burst = bw[`${dir}Burst`] ?? 0;
    for (const [k, v] of [[`${dir}Rate`, rate], [`${dir}Burst`, burst]] as const) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
        throw invalid(`runtimeConfig.bandwidth.${k} must be a whole number ≥ 0 (bits per second / bits)`);
      }
    }
    if ((rate > 0) !== (burst > 0)) throw invalid(`runtimeConfig.bandwidth: ${dir}Rate and ${dir}Burst must be set together`);
    if (burst / 8 >= 2 ** 32 - 1) throw invalid(`runtimeConfig.bandwidth.${dir}Burst is too large (must be < 4 GiB)`);
  }
}

/** Validate cello-cni's keys and capabilities; return the effective settings. */
export function celloNetConf(parsed: ParsedConf): CelloNetConf {
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
    stateDir: str(conf, 'stateDir', DEFAULTS.stateDir),
    logFile: str(conf, 'logFile', DEFAULTS.logFile),
    logLevel: oneOf(conf, 'logLevel', ['debug', 'info', 'warn', 'error'], DEFAULTS.logLevel),
    datapath: conf.datapath === undefined ? undefined : oneOf<DatapathChoice>(conf, 'datapath', ['auto', 'ipvlan', 'veth'], 'auto'),
    poolWaitSec: nonNegative(conf, 'poolWaitSec', DEFAULTS.poolWaitSec),
  };
}
