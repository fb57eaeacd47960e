/**
 * Where the config comes from in Kubernetes (upstream Cello's pkg/config/config.go and dynamic_config.go):
 *
 * - the cluster scope: ConfigMap `kube-system/cello-config`, key `conf`;
 * - the node scope: the node's label `vke.volcengine.com/vpc-cni-config`
 *   = `<namespace>.<name>` names another ConfigMap (same key) whose keys
 *   override the cluster's (only the keys cello-eni's NODE_KEYS allows).
 *
 * `fetchConfig` reads all three objects and checks the result with
 * cello-eni's own resolver, so a broken ConfigMap is refused here, naming
 * the field, before it reaches the keeper.
 */
import { parseConfigJson, resolveConfig } from '@cello/cello-eni';
import type { CoreV1Api } from '@kubernetes/client-node';
import { statusOf } from '../kube/client.ts';

export const NODE_CONFIG_LABEL = 'vke.volcengine.com/vpc-cni-config';
export const CONFIG_KEY = 'conf';

export interface ConfigRef {
  namespace: string;
  name: string;
}

export const CLUSTER_CONFIG: ConfigRef = { namespace: 'kube-system', name: 'cello-config' };

export interface FetchedConfig {
  cluster: { ref: ConfigRef; text: string };
  /** Absent when the node has no label. */
  node?: { ref: ConfigRef; text: string };
  warnings: string[];
}

export class ConfigSourceError extends Error {
  override readonly name = 'ConfigSourceError';
}

/** `<namespace>.<name>` → a ref (split at the first dot, as upstream). */
export function parseNodeLabel(value: string): ConfigRef {
  const dot = value.indexOf('.');
  if (dot <= 0 || dot === value.length - 1) {
    throw new ConfigSourceError(`node label ${NODE_CONFIG_LABEL}=${value}: expected <namespace>.<name> of a ConfigMap`);
  }
  return { namespace: value.slice(0, dot), name: value.slice(dot + 1) };
}

const show = (r: ConfigRef) => `ConfigMap ${r.namespace}/${r.name}`;

async function readConf(core: CoreV1Api, ref: ConfigRef): Promise<string> {
  let data: Record<string, string> | undefined;
  try {
    data = (await core.readNamespacedConfigMap(ref)).data;
  } catch (err) {
    if (statusOf(err) === 404) throw new ConfigSourceError(`${show(ref)} does not exist (apply manifests/configmap.yaml, or fix the reference)`);
    if (statusOf(err) === 403)
      throw new ConfigSourceError(`reading ${show(ref)} is forbidden: the cello service account needs get on configmaps there (manifests/rbac.yaml)`);
    throw new ConfigSourceError(`cannot read ${show(ref)}: ${(err as Error).message}`);
  }
  const text = data?.[CONFIG_KEY];
  if (!text) throw new ConfigSourceError(`${show(ref)} has no key ${CONFIG_KEY}`);
  return text;
}

/** The node label's value, if any. */
export async function nodeLabel(core: CoreV1Api, node: string): Promise<string | undefined> {
  try {
    return (await core.readNode({ name: node })).metadata?.labels?.[NODE_CONFIG_LABEL];
  } catch (err) {
    throw new ConfigSourceError(`cannot read Node ${node}: ${(err as Error).message}`);
  }
}

/** The key's JSON; a syntax error says line and column, never the text around it (it may be the secret). */
const parsed = (text: string, ref: ConfigRef): unknown => parseConfigJson(text, `${show(ref)} key ${CONFIG_KEY}`);

/** Read the cluster and node config and check them together. */
export async function fetchConfig(core: CoreV1Api, node: string, cluster: ConfigRef = CLUSTER_CONFIG): Promise<FetchedConfig> {
  const clusterText = await readConf(core, cluster);
  const label = await nodeLabel(core, node);
  const nodeRef = label ? parseNodeLabel(label) : undefined;
  const nodeText = nodeRef ? await readConf(core, nodeRef) : undefined;
  let warnings: string[];
  try {
    warnings = resolveConfig(parsed(clusterText, cluster), nodeText === undefined ? undefined : parsed(nodeText, nodeRef!), {
      cluster: show(cluster),
      ...(nodeRef ? { node: show(nodeRef) } : {}),
    }).warnings;
  } catch (err) {
    throw new ConfigSourceError((err as Error).message);
  }
  return { cluster: { ref: cluster, text: clusterText }, ...(nodeRef && nodeText ? { node: { ref: nodeRef, text: nodeText } } : {}), warnings };
}
