/**
 * `cello-agent run`: the DaemonSet's main process.
 *
 *  1. install cello-cni on the host (one executable, atomically);
 *  2. write the config files from Kubernetes once (retried until it works);
 *  3. start the roles, all in this process (./roles.ts): config-sync,
 *     keeper, capacity, pod-networks, metrics — each restarted with backoff
 *     if it fails;
 *  4. once the keeper reports a pool that can serve a pod and pod-networks
 *     has recorded the PodNetworks and its decisions once (a pod's ADD must
 *     not find a store that has not heard of them yet), install the
 *     conflist and write the ready file: only now does the kubelet see the
 *     node's network as ready (pre-scaling before the node takes pods);
 *     then start gc (when bin/cello-gc is there): a node sweep holds the
 *     keeper's lock while no keeper runs, so it must not start first;
 *  5. on SIGTERM/SIGINT: stop every role (each gets the grace period; a gc
 *     sweep in flight gets SIGTERM, then SIGKILL) and exit 0. The CNI binary
 *     and conflist stay: pods keep starting from the free IPs while the
 *     agent restarts or upgrades.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@cello/cli-kit';
import { ConfigSync } from '../config/sync.ts';
import { type Kube, kubeClient } from '../kube/client.ts';
import { CNI_BINARY, checkConflist, installCniBinary, installConflist } from '../install/cni.ts';
import { writeFileAtomic } from '@cello/cli-kit';
import { poolReady, readKeeperState } from '../keeper/state.ts';
import { type AgentPaths, runFiles } from '../paths.ts';
import { type RestartBackoff, DEFAULT_RESTART_BACKOFF, SupervisedRole } from './role.ts';
import { roleSpecs } from './roles.ts';
import { type AgentState, writeAgentState } from './state.ts';

export interface RunOptions {
  paths: AgentPaths;
  /** The conflist to install once ready. */
  conflist: string;
  /** Where the bundles are (cello-agent, cello-cni, cello-gc). */
  binDir: string;
  /** The Node binary for the children and the host runtime. */
  node: string;
  nodeName: string;
  /** The metrics server's address; without it the metrics role reads metricsListen from the config. */
  listen?: { host: string; port: number };
  /** Seconds between cello-gc sweeps; 0: no gc role. */
  gcIntervalSec: number;
  /** Seconds between the device plugin's recounts of stock pods. */
  capacityRecountSec: number;
  /** How long each role (and a gc sweep in flight) gets to stop. */
  graceMs: number;
  log: Logger;
  signal: AbortSignal;
  backoff?: RestartBackoff;
}

/** Write the config files once (as config-sync does), retrying with the roles' backoff until it works or we are stopped; the client it worked with. */
async function firstConfig(o: RunOptions): Promise<Kube | undefined> {
  const b = o.backoff ?? DEFAULT_RESTART_BACKOFF;
  for (let delay = b.initialMs; !o.signal.aborted; delay = Math.min(b.maxMs, delay * 2)) {
    try {
      const kube = kubeClient();
      const sync = new ConfigSync({ kube, node: o.nodeName, configFile: o.paths.configFile, nodeConfigFile: o.paths.nodeConfigFile, log: o.log });
      const r = await sync.syncOnce();
      o.log.info('config written', { files: r.changed, cluster: r.fetched.cluster.ref, node: r.fetched.node?.ref ?? null });
      return kube;
    } catch (err) {
      o.log.error('cannot write the config from Kubernetes yet; retrying', { error: err, retryInMs: delay });
    }
    await sleep(delay, undefined, { signal: o.signal }).catch(() => undefined);
  }
  return undefined;
}

export async function runSupervisor(o: RunOptions): Promise<number> {
  const { log, paths } = o;
  checkConflist(o.conflist);
  const files = runFiles(paths.runDir);
  mkdirSync(paths.runDir, { recursive: true, mode: 0o755 });
  // What a previous run left says nothing about this one.
  rmSync(files.ready, { force: true });
  rmSync(files.keeperState, { force: true });
  const state: AgentState = { pid: process.pid, startedAt: new Date().toISOString(), ready: false, installed: {}, children: {} };
  const save = () => {
    try {
      writeAgentState(files.agentState, state);
    } catch (err) {
      log.error('cannot write the agent state', { file: files.agentState, error: err });
    }
  };
  save();

  const binary = installCniBinary({ cniBinDir: paths.cniBinDir, source: join(o.binDir, CNI_BINARY), legacyRuntimeDir: paths.runtimeDir });
  state.installed.runtime = binary.version;
  log.info(binary.changed ? 'cello-cni installed' : 'cello-cni already installed', { binary: binary.binary, version: binary.version, pruned: binary.pruned });
  save();

  const kube = await firstConfig(o);
  if (!kube) return 0;

  let podNetworksSynced = false;
  const specs = roleSpecs({ ...o, kube, onPodNetworksSynced: () => (podNetworksSynced = true) });
  const roles = specs.map((spec) => new SupervisedRole(spec, log.child({ proc: spec.name }), save, o.backoff));
  const start = (afterReady: boolean) => {
    roles.forEach((r, i) => {
      if (Boolean(specs[i]!.afterReady) !== afterReady) return;
      state.children[r.spec.name] = r.state;
      r.start();
    });
    save();
  };
  start(false);

  let waitingSaid = false;
  while (!o.signal.aborted && !state.ready) {
    const k = readKeeperState(files.keeperState);
    if (poolReady(k) && !podNetworksSynced && !waitingSaid) {
      log.info('the pool is ready; waiting for pod-networks to record the PodNetworks once');
      waitingSaid = true;
    }
    if (poolReady(k) && podNetworksSynced) {
      let conf: ReturnType<typeof installConflist>;
      try {
        conf = installConflist({ cniConfDir: paths.cniConfDir, source: o.conflist });
      } catch (err) {
        log.error('cannot install the conflist; retrying', { error: err });
        await sleep(5000, undefined, { signal: o.signal }).catch(() => undefined);
        continue;
      }
      state.installed.conflist = conf.path;
      state.ready = true;
      state.readyAt = new Date().toISOString();
      writeFileAtomic(files.ready, `${JSON.stringify({ at: state.readyAt, pool: k!.pool, conflist: conf.path })}\n`, 0o644);
      log.info('node ready: the pool holds IPs and the conflist is installed', {
        conflist: conf.path,
        changed: conf.changed,
        removed: conf.removed,
        free: k!.pool.free,
        total: k!.pool.total,
      });
      start(true);
      break;
    }
    await sleep(500, undefined, { signal: o.signal }).catch(() => undefined);
  }

  await new Promise<void>((resolve) => (o.signal.aborted ? resolve() : o.signal.addEventListener('abort', () => resolve(), { once: true })));
  log.info('stopping', { roles: roles.map((r) => r.spec.name) });
  await Promise.all(roles.map((r) => r.stop(o.graceMs)));
  state.ready = false;
  rmSync(files.ready, { force: true });
  save();
  log.info('stopped; every role has ended');
  return 0;
}
