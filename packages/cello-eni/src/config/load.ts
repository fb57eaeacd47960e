/**
 * The config files: the cluster file (the `cello-config` ConfigMap's `conf`
 * key, mounted) and an optional node file (the node-scope overrides the agent
 * writes). Read, parsed and resolved in one go; `changed()` tells the keeper
 * when either file's content moved so it can reload.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseConfigJson } from './json.ts';
import { ConfigError, type Resolved, resolveConfig } from './resolve.ts';

export const DEFAULT_CONFIG_PATH = '/etc/cello/conf';
export const DEFAULT_NODE_CONFIG_PATH = '/etc/cello/node-conf';

export interface ConfigPaths {
  config?: string;
  nodeConfig?: string;
}

export interface LoadedConfig extends Resolved {
  files: { config: string; nodeConfig?: string };
  /** A hash of both files' bytes: equal fingerprints mean nothing changed. */
  fingerprint: string;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError('(file)', `cannot read: ${(err as Error).message}`, path);
  }
}

/** A hash of both files' bytes (a missing file counts as its own content). */
export function configFingerprint(paths: ConfigPaths): string {
  const h = createHash('sha256');
  for (const p of [paths.config ?? DEFAULT_CONFIG_PATH, paths.nodeConfig ?? DEFAULT_NODE_CONFIG_PATH]) h.update(`${p}\0${readText(p) ?? '\0missing'}\0`);
  return h.digest('hex');
}

/** Load and resolve both files. A missing node file is fine; a missing cluster file says where it should be. */
export function loadConfig(paths: ConfigPaths = {}): LoadedConfig {
  const configPath = paths.config ?? DEFAULT_CONFIG_PATH;
  const nodePath = paths.nodeConfig ?? DEFAULT_NODE_CONFIG_PATH;
  const fingerprint = configFingerprint(paths);
  const text = readText(configPath);
  if (text === undefined) {
    throw new ConfigError('(file)', "no such file: mount the cello-config ConfigMap's conf key there, or pass --config FILE", configPath);
  }
  const nodeText = readText(nodePath);
  const resolved = resolveConfig(parseConfigJson(text, configPath), nodeText === undefined ? undefined : parseConfigJson(nodeText, nodePath), {
    cluster: configPath,
    node: nodePath,
  });
  return { ...resolved, files: { config: configPath, ...(nodeText !== undefined ? { nodeConfig: nodePath } : {}) }, fingerprint };
}

/** True when either file's bytes differ from the fingerprint (cheap enough to ask every second). */
export function configChanged(paths: ConfigPaths, fingerprint: string): boolean {
  return configFingerprint(paths) !== fingerprint;
}
