/**
 * The config in effect, secrets shown as `***`: from the files the keeper
 * reads (what this node runs with), or straight from Kubernetes (what it
 * will run with once config-sync has written it).
 */
import { loadConfig, resolveConfig } from '@cello/cello-eni';
import { redact } from '@cello/cli-kit';
import type { CoreV1Api } from '@kubernetes/client-node';
import { CLUSTER_CONFIG, fetchConfig } from './source.ts';

export interface EffectiveConfig {
  source: 'files' | 'kubernetes';
  cluster: string;
  /** The node-scope overrides' origin, or null when there are none. */
  node: string | null;
  warnings: string[];
  config: Record<string, unknown>;
}

export function configFromFiles(configFile: string, nodeConfigFile: string): EffectiveConfig {
  const loaded = loadConfig({ config: configFile, nodeConfig: nodeConfigFile });
  return {
    source: 'files',
    cluster: loaded.files.config,
    node: loaded.files.nodeConfig ?? null,
    warnings: loaded.warnings,
    config: redact(loaded.config) as unknown as Record<string, unknown>,
  };
}

export async function configFromKubernetes(core: CoreV1Api, node: string): Promise<EffectiveConfig> {
  const f = await fetchConfig(core, node);
  const resolved = resolveConfig(JSON.parse(f.cluster.text), f.node ? JSON.parse(f.node.text) : undefined);
  return {
    source: 'kubernetes',
    cluster: `${CLUSTER_CONFIG.namespace}/${CLUSTER_CONFIG.name}`,
    node: f.node ? `${f.node.ref.namespace}/${f.node.ref.name}` : null,
    warnings: f.warnings,
    config: redact(resolved.config) as unknown as Record<string, unknown>,
  };
}
