/**
 * Where the agent reads and writes on a node. Every path is a flag of
 * `cello-agent run` (tests point them at temporary directories); the defaults
 * are what manifests/daemonset.yaml mounts, and a test compares the two.
 */
import { join } from 'node:path';

export interface AgentPaths {
  /** The host's CNI plugin directory: the `cello-cni` executable goes here. */
  cniBinDir: string;
  /** The host's CNI config directory: the conflist goes here once the pool is ready. */
  cniConfDir: string;
  /** Where an older Cello put Node and the cello-cni bundle for the host, one directory per version; the agent only removes them now. */
  runtimeDir: string;
  /** The agent's own run-time files: readiness, child status, metrics sockets. */
  runDir: string;
  /** The cluster config (ConfigMap cello-config, key conf) as the keeper reads it. */
  configFile: string;
  /** The node-scope overrides (the ConfigMap the node label names); absent when there are none. */
  nodeConfigFile: string;
  /** cello-ipam's state directory. */
  stateDir: string;
  /** cello-cni's JSON-lines log (the conflist's logFile). */
  cniLog: string;
  /** The kubelet's device-plugin directory (kubelet.sock and ours). */
  devicePluginDir: string;
}

export const DEFAULT_PATHS: AgentPaths = {
  cniBinDir: '/opt/cni/bin',
  cniConfDir: '/etc/cni/net.d',
  runtimeDir: '/opt/cello',
  runDir: '/run/cello',
  configFile: '/etc/cello/conf',
  nodeConfigFile: '/etc/cello/node-conf',
  stateDir: '/var/lib/cello',
  cniLog: '/var/log/cello/cni.log',
  devicePluginDir: '/var/lib/kubelet/device-plugins',
};

/** Files under the run directory. */
export const runFiles = (runDir: string) => ({
  /** Exists once the node can take pods (the conflist is installed); holds when and why. */
  ready: join(runDir, 'ready'),
  /** The supervisor's view of its children (pid, restarts), rewritten on every change. */
  agentState: join(runDir, 'agent.json'),
  /** The keeper's last round (pool figures, targets met), rewritten after every round. */
  keeperState: join(runDir, 'keeper.json'),
  /** One unix socket per child serving its Prometheus registry. */
  metricsDir: join(runDir, 'metrics'),
  metricsSocket: (child: string) => join(runDir, 'metrics', `${child}.sock`),
});
