/**
 * @cello/cello-agent: the DaemonSet's supervisor and its children, as a
 * library for tests and tools. bin/cello-agent is a thin shell over this.
 */
export { runCapacityReporter, type CapacityOptions } from './capacity/reporter.ts';
export { deviceCount, requestsCelloResource, RESOURCE_EXCLUSIVE, RESOURCE_SHARED, resourceFor, stockPods } from './capacity/count.ts';
export { DevicePluginServer } from './capacity/plugin.ts';
export { API_VERSION, DEVICE_PLUGIN_PROTO, devicePluginApi, KUBELET_SOCKET } from './capacity/proto.ts';
export { configFromFiles, configFromKubernetes, type EffectiveConfig } from './config/effective.ts';
export { CLUSTER_CONFIG, CONFIG_KEY, ConfigSourceError, fetchConfig, NODE_CONFIG_LABEL, parseNodeLabel, type ConfigRef } from './config/source.ts';
export { ConfigSync, type ConfigSyncOptions } from './config/sync.ts';
export { removeLeftovers } from './install/atomic.ts';
export { binaryVersion, checkConflist, CNI_BINARY, installCniBinary, installConflist, installedVersion, smokeTest } from './install/cni.ts';
export { pruneRuntimes } from './install/legacy.ts';
export { eventForBlocked, eventForCode, eventForError, type NodeEvent } from './keeper/events.ts';
export { keeperMetrics, metadataLabel } from './keeper/metrics.ts';
export { runAgentKeeper } from './keeper/run.ts';
export { poolReady, readKeeperState, type KeeperState } from './keeper/state.ts';
export { kubeClient, type Kube } from './kube/client.ts';
export { nodeName } from './node-name.ts';
export { EVENT_NAMESPACE, NodeEventRecorder } from './kube/events.ts';
export { CniLogTail, interpret, type CniCall } from './metrics/cni-log.ts';
export { notReadyReason, startMetricsServer } from './metrics/server.ts';
export { scrapeChildren, scrapeSocket, serveRegistry } from './metrics/socket.ts';
export { type AgentPaths, DEFAULT_PATHS, runFiles } from './paths.ts';
export { runSupervisor, type RunOptions } from './supervisor/run.ts';
export { roleSpecs, type RoleOptions } from './supervisor/roles.ts';
export { type RestartBackoff, DEFAULT_RESTART_BACKOFF, type RoleSpec, SupervisedRole } from './supervisor/role.ts';
export { readAgentState, type AgentState, type ChildState } from './supervisor/state.ts';
