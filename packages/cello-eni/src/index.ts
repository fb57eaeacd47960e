/**
 * @cello/cello-eni: the cloud ENI lifecycle over the Volcengine OpenAPI and
 * the metadata service, and the warm-pool keeper. bin/cello-eni is a thin
 * shell over this; cello-gc and cello-agent import it in-process:
 *
 *   const { config } = loadConfig({ config: '/etc/cello/conf' });
 *   const ctx = await connect(config, { log });
 *   ctx.client.metrics.on('call', (e) => …);                       // every OpenAPI call
 *   ctx.metadata.metrics.on('call', (e) => …);                     // every metadata read
 *   await ctx.api.listEnisByTags(clusterFilter(config), { vpcId: ctx.identity.vpcId });
 *   await freeEni(ctx, 'eni-…');
 *   await upAndImport({ ...ctx, store }, await importDocFor(ctx, eni, { device, metadata }));   // eni-up + import
 *   await runKeeper({ configPaths, stateDir, signal, log });       // the keeper, until signal
 *   (await nodeLimits(ctx)).capacity.shared;                      // the device plugin's count
 */
export { locateJsonError, parseConfigJson, type JsonSyntaxError } from './config/json.ts';
export { DEFAULT_METRICS_LISTEN, parseListenAddress } from './config/listen.ts';
export { configChanged, DEFAULT_CONFIG_PATH, DEFAULT_NODE_CONFIG_PATH, loadConfig, type ConfigPaths, type LoadedConfig } from './config/load.ts';
export {
  ConfigError,
  DEFAULT_BACKOFF,
  DEFAULT_RATE_LIMITS,
  ipamMode,
  metadataBase,
  openApiEndpoint,
  resolveConfig,
  type BackoffPolicy,
  type CelloConfig,
  type RatePolicy,
  type Resolved,
} from './config/resolve.ts';
export { LIVE_KEYS, NODE_KEYS, type CallClass } from './config/schema.ts';
export { connect, metadataClient, type ConnectOptions, type EniContext } from './context.ts';
export { CredentialError, credentialsFor, roleCredentials, staticCredentials, type CredentialProvider, type Credentials } from './credentials/provider.ts';
export { registerSecret, scrubSecrets } from './credentials/secrets.ts';
export { type MetadataCallEvent, MetadataClient, MetadataError } from './metadata/client.ts';
export { metadataEni, metadataTree, readIdentity, type MetadataEni, type NodeIdentity } from './metadata/instance.ts';
export {
  CloudApi,
  type CloudEni,
  type CloudInstance,
  type CloudSubnet,
  type EniFilter,
  type EniStatus,
  type InstanceTypeLimits,
  type Tag,
} from './openapi/api.ts';
export { backoffDelay } from './openapi/backoff.ts';
export { API_VERSION, classOf, OpenApiClient, type CallOptions, type CallResult, type ClientOptions } from './openapi/client.ts';
export { IDEMPOTENT_SUCCESS, isLimit, isSubnetFull, isThrottle, OpenApiError, treatment, type Treatment } from './openapi/errors.ts';
export { CallMetrics, type ActionTotals, type CallEvent } from './openapi/metrics.ts';
export { flatten } from './openapi/params.ts';
export { RateLimiter, TokenBucket, type Clock } from './openapi/token-bucket.ts';
export { attachEni, createAndAttach, createEni, detachEni, freeEni, LifecycleError, waitEniStatus, type AttachedEni } from './lifecycle/eni.ts';
export { assignIps, unassignIps } from './lifecycle/ips.ts';
export { nodeLimits, type NodeLimits } from './lifecycle/limits.ts';
export { deviceByMac, type HostDevice } from './lifecycle/host.ts';
export { importDocFor } from './lifecycle/record.ts';
export { releaseSurplus, type ReleaseResult } from './lifecycle/release.ts';
export { NoSubnetError, SubnetPicker, type SubnetStatus } from './lifecycle/subnets.ts';
export { CLUSTER_TAG, clusterFilter, createdFor, isOwned, newEniTags, ownedFilter } from './lifecycle/tags.ts';
export { WaitTimeout } from './lifecycle/wait.ts';
export { KeeperBusyError, runKeeper, type KeeperOptions, type KeeperSummary } from './pool/keeper.ts';
export { type BringUpContext, upAndImport } from './pool/bring-up.ts';
export { planFill, type FillPlan } from './pool/plan.ts';
export { poolTargets, targetsMet, type PoolTargets } from './pool/targets.ts';
export type { BlockedBy, RoundReport } from './pool/round.ts';
export { listAll, listNode, showEni, type EniView } from './view/list.ts';
export { eniLogger } from './log.ts';
