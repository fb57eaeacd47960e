/**
 * How Cello marks the ENIs it creates and finds them again: the creator and
 * the ECS instance, plus our cluster tag when clusterName is set. This
 * instance's ENIs are matched by the creator and instance tags only, so
 * renaming the cluster orphans nothing.
 *
 * Two schemes (docs/config.md `platform`): `k8s:cello:*`, the default, which
 * any account may write; and upstream's `volc:vke:*`, only when the operator
 * says the cluster is VKE — Volcengine refuses user tag keys beginning
 * `volc:` or `sys:` (InvalidTagKey.Malformed; docs/volcengine-api.md, Tags).
 */
import type { CelloConfig } from '../config/resolve.ts';
import type { CloudEni, Tag } from '../openapi/api.ts';

export const CLUSTER_TAG = 'k8s:cello:cluster';
/** The PodNetwork an ENI was made for (its subnet and security groups); none: the default network. */
export const POD_NETWORK_TAG = 'k8s:cello:pod-network';
export const ENI_DESCRIPTION = 'interface create by cello';

/** Only an explicit `vke` selects the VKE keys (upstream also took "" for vke). */
export const isVke = (platform: string) => platform.trim().toLowerCase() === 'vke';

/** The creator tags, without the instance. */
function creatorTags(cfg: Pick<CelloConfig, 'platform'>): Tag[] {
  return isVke(cfg.platform)
    ? [
        { Key: 'volc:vke:createdby-vke-flag', Value: 'true' },
        { Key: 'volc:vke:created-by', Value: 'cello' },
      ]
    : [{ Key: 'k8s:cello:created-by', Value: 'cello' }];
}

const instanceTagKey = (cfg: Pick<CelloConfig, 'platform'>) => (isVke(cfg.platform) ? 'volc:vke:ecs-id' : 'k8s:cello:ecs-id');

/** Tags for a new ENI of this instance (of a pod network, when `podNetwork` is given). */
export function newEniTags(cfg: Pick<CelloConfig, 'platform' | 'clusterName'>, instanceId: string, podNetwork?: string): Tag[] {
  return [
    ...ownedFilter(cfg, instanceId),
    ...(cfg.clusterName ? [{ Key: CLUSTER_TAG, Value: cfg.clusterName }] : []),
    ...(podNetwork ? [{ Key: POD_NETWORK_TAG, Value: podNetwork }] : []),
  ];
}

/** The PodNetwork a Cello ENI serves ('' for the default network). */
export const podNetworkOf = (eni: Pick<CloudEni, 'tags'>): string => eni.tags[POD_NETWORK_TAG] ?? '';

/** TagFilters for the ENIs this instance created. */
export function ownedFilter(cfg: Pick<CelloConfig, 'platform'>, instanceId: string): Tag[] {
  return [...creatorTags(cfg), { Key: instanceTagKey(cfg), Value: instanceId }];
}

/** TagFilters for every Cello ENI in the VPC (of this cluster, when it has a name). */
export function clusterFilter(cfg: Pick<CelloConfig, 'platform' | 'clusterName'>): Tag[] {
  return [...creatorTags(cfg), ...(cfg.clusterName ? [{ Key: CLUSTER_TAG, Value: cfg.clusterName }] : [])];
}

/** The instance a Cello ENI was created for ('' when it carries no such tag). */
export const createdFor = (cfg: Pick<CelloConfig, 'platform'>, eni: CloudEni) => eni.tags[instanceTagKey(cfg)] ?? '';

/** Whether this instance's tags are on the ENI. */
export const isOwned = (cfg: Pick<CelloConfig, 'platform'>, eni: CloudEni, instanceId: string) =>
  ownedFilter(cfg, instanceId).every((t) => eni.tags[t.Key] === t.Value);
