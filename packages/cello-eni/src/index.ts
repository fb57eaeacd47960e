/**
 * @cello/cello-eni: the cloud ENI lifecycle over the Volcengine OpenAPI and
 * the metadata service, and the warm-pool keeper. bin/cello-eni is a thin
 * shell over the modules; cello-gc, cello-agent and the bench import what
 * this file exports (and nothing else: the rest is the package's own):
 *
 *   const { config } = loadConfig({ config: '/etc/cello/conf' });
 *   const ctx = await connect(config, { log });
 *   ctx.client.metrics.on('call', (e) => …);                       // every OpenAPI call
 *   ctx.metadata.metrics.on('call', (e) => …);                     // every metadata read
 *   await ctx.api.listEnisByTags(clusterFilter(config), { vpcId: ctx.identity.vpcId });
 *   await upAndImport({ ...ctx, store }, await importDocFor(ctx, eni, { device, metadata }));   // eni-up + import
 *   await runKeeper({ configPaths, stateDir, signal, log });       // the keeper, until signal
 */
export { parseConfigJson } from './config/json.ts';
export { DEFAULT_METRICS_LISTEN, parseListenAddress } from './config/listen.ts';
export { DEFAULT_CONFIG_PATH, DEFAULT_NODE_CONFIG_PATH, loadConfig } from './config/load.ts';
export { ipamMode, resolveConfig, type CelloConfig } from './config/resolve.ts';

export { connect, type EniContext } from './context.ts';
export { CredentialError } from './credentials/provider.ts';

export type { MetadataCallEvent } from './metadata/client.ts';
export { metadataEni, type NodeIdentity } from './metadata/instance.ts';
export type { CloudEni, CloudInstance } from './openapi/api.ts';

export { isThrottle, OpenApiError } from './openapi/errors.ts';
export type { CallEvent } from './openapi/metrics.ts';

export { waitEniStatus } from './lifecycle/eni.ts';

export { deviceByMac } from './lifecycle/host.ts';
export { importDocFor } from './lifecycle/record.ts';

export { clusterFilter, createdFor, ownedFilter } from './lifecycle/tags.ts';

export { runKeeper, type KeeperSummary } from './pool/keeper.ts';
export { upAndImport } from './pool/bring-up.ts';

export type { PoolTargets } from './pool/targets.ts';
export type { RoundReport } from './pool/round.ts';
