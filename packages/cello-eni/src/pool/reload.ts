/**
 * The keeper's live config: when either file changes, re-read both; apply
 * the keys upstream applies live (subnets, securityGroups, poolTarget,
 * poolTargetMin) and say which other changed keys need a restart. An invalid
 * file is reported once and the config in force stays.
 */
import { type ConfigPaths, configChanged, configFingerprint, loadConfig } from '../config/load.ts';
import type { CelloConfig } from '../config/resolve.ts';
import { LIVE_KEYS } from '../config/schema.ts';
import type { KeeperContext } from './context.ts';

function changedKeys(a: CelloConfig, b: CelloConfig): Array<keyof CelloConfig> {
  return (Object.keys(b) as Array<keyof CelloConfig>).filter((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]));
}

/** True when a live key changed (the keeper should run a round). */
export function reloadConfig(k: KeeperContext, paths: ConfigPaths, state: { fingerprint: string }): boolean {
  if (!configChanged(paths, state.fingerprint)) return false;
  state.fingerprint = configFingerprint(paths);
  let next;
  try {
    next = loadConfig(paths);
  } catch (err) {
    k.log.error('the changed config is invalid; keeping the one in force', { error: err });
    return false;
  }
  const changed = changedKeys(k.config, next.config);
  const live = changed.filter((key) => (LIVE_KEYS as readonly string[]).includes(key));
  const later = changed.filter((key) => !live.includes(key));
  k.config = { ...k.config, ...Object.fromEntries(live.map((key) => [key, next.config[key]])) };
  if (live.length) k.log.info('config reloaded', Object.fromEntries(live.map((key) => [key, k.config[key]])));
  if (later.length) k.log.warn('config changed in keys that apply only after a restart of the keeper', { keys: later });
  for (const w of next.warnings) k.log.warn(w);
  return live.length > 0;
}
