/**
 * `cello-agent run`: the DaemonSet's main process.
 *
 *  1. install cello-cni on the host (runtime + wrapper, atomically);
 *  2. write the config files from Kubernetes once, in this process (retried
 *     until it works);
 *  3. start the children: config-sync, keeper, capacity, metrics — each
 *     restarted if it dies;
 *  4. once the keeper reports a pool that can serve a pod, install the
 *     conflist and write the ready file: only now does the kubelet see the
 *     node's network as ready (pre-scaling before the node takes pods);
 *     then start gc (when bin/cello-gc is there): a node sweep holds the
 *     keeper's lock while no keeper runs, so it must not start first;
 *  5. on SIGTERM/SIGINT: stop the children (SIGTERM, SIGKILL after the
 *     grace period) and exit 0. The CNI binary and conflist stay: pods keep
 *     starting from the free IPs while the agent restarts or upgrades.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@cello/cli-kit';
import { ConfigSync } from '../config/sync.ts';
import { kubeClient } from '../kube/client.ts';
import { CNI_BINARY, checkConflist, installCniBinary, installConflist } from '../install/cni.ts';
import { writeFileAtomic } from '../install/atomic.ts';
import { poolReady, readKeeperState } from '../keeper/state.ts';
import { type AgentPaths, runFiles } from '../paths.ts';
import { type ChildSpec, DEFAULT_BACKOFF, type Backoff, SupervisedChild } from './child.ts';
import { SUPERVISOR_PID_ENV } from './parent.ts';
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
  /** The metrics server's address; without it the metrics child reads metricsListen from the config. */
  listen?: string;
  /** Seconds between cello-gc sweeps; 0 runs no gc child. */
  gcIntervalSec: number;
  /** Seconds between the device plugin's recounts of stock pods. */
  capacityRecountSec: number;
  /** How long children get between SIGTERM and SIGKILL. */
  graceMs: number;
  log: Logger;
  signal: AbortSignal;
  backoff?: Backoff;
}

/** The flags every agent subcommand takes for its paths, as the supervisor passes them on. */
export function pathArgs(p: AgentPaths, nodeName: string): string[] {
  return [
    '--run-dir', p.runDir,
    '--config', p.configFile,
    '--node-config', p.nodeConfigFile,
    '--state-dir', p.stateDir,
    '--cni-log', p.cniLog,
    '--device-plugin-dir', p.devicePluginDir,
    '--node-name', nodeName,
  ];
}

/** The children, in start order; `afterReady` ones start once the node is ready. */
export function childSpecs(o: Pick<RunOptions, 'paths' | 'binDir' | 'node' | 'nodeName' | 'listen' | 'gcIntervalSec' | 'capacityRecountSec'>): Array<ChildSpec & { afterReady?: boolean }> {
  const agent = join(o.binDir, 'cello-agent');
  const common = pathArgs(o.paths, o.nodeName);
  const env = { [SUPERVISOR_PID_ENV]: String(process.pid), NODE_NAME: o.nodeName };
  const specs: Array<ChildSpec & { afterReady?: boolean }> = [
    { name: 'config-sync', command: o.node, args: [agent, 'config-sync', '--watch', ...common], env },
    { name: 'keeper', command: o.node, args: [agent, 'keeper', ...common], env },
    { name: 'capacity', command: o.node, args: [agent, 'capacity', '--recount', String(o.capacityRecountSec), ...common], env },
    { name: 'metrics', command: o.node, args: [agent, 'metrics', ...(o.listen !== undefined ? ['--listen', o.listen] : []), ...common], env },
  ];
  const gc = join(o.binDir, 'cello-gc');
  if (o.gcIntervalSec > 0 && existsSync(gc)) {
    specs.push({
      name: 'gc',
      command: o.node,
      args: [gc, 'node', '--watch', '--interval', String(o.gcIntervalSec), '--config', o.paths.configFile, '--node-config', o.paths.nodeConfigFile, '--state-dir', o.paths.stateDir, '--node-name', o.nodeName],
      env,
      afterReady: true,
    });
  }
  return specs;
}

/** Write the config files once (as config-sync does), retrying with the children's backoff until it works or we are stopped. */
async function firstConfig(o: RunOptions): Promise<boolean> {
  const b = o.backoff ?? DEFAULT_BACKOFF;
  for (let delay = b.initialMs; !o.signal.aborted; delay = Math.min(b.maxMs, delay * 2)) {
    try {
      const sync = new ConfigSync({ kube: kubeClient(), node: o.nodeName, configFile: o.paths.configFile, nodeConfigFile: o.paths.nodeConfigFile, log: o.log });
      const r = await sync.syncOnce();
      o.log.info('config written', { files: r.changed, cluster: r.fetched.cluster.ref, node: r.fetched.node?.ref ?? null });
      return true;
    } catch (err) {
      o.log.error('cannot write the config from Kubernetes yet; retrying', { error: err, retryInMs: delay });
    }
    await sleep(delay, undefined, { signal: o.signal }).catch(() => undefined);
  }
  return false;
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

  if (!(await firstConfig(o))) return 0;

  const specs = childSpecs(o);
  const children = specs.map((spec) => new SupervisedChild(spec, log, save, o.backoff));
  const start = (afterReady: boolean) => {
    children.forEach((c, i) => {
      if (Boolean(specs[i]!.afterReady) !== afterReady) return;
      state.children[c.spec.name] = c.state;
      c.start();
    });
    save();
  };
  start(false);

  while (!o.signal.aborted && !state.ready) {
    const k = readKeeperState(files.keeperState);
    if (poolReady(k)) {
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
      writeFileAtomic(files.ready, `${JSON.stringify({ at: state.readyAt, pool: k!.pool, conflist: conf.path })}\n`);
      log.info('node ready: the pool holds IPs and the conflist is installed', { conflist: conf.path, changed: conf.changed, removed: conf.removed, free: k!.pool.free, total: k!.pool.total });
      start(true);
      break;
    }
    await sleep(500, undefined, { signal: o.signal }).catch(() => undefined);
  }

  await new Promise<void>((resolve) => (o.signal.aborted ? resolve() : o.signal.addEventListener('abort', () => resolve(), { once: true })));
  log.info('stopping', { children: children.map((c) => `${c.spec.name}:${c.state.pid ?? '-'}`) });
  await Promise.all(children.map((c) => c.stop(o.graceMs)));
  state.ready = false;
  rmSync(files.ready, { force: true });
  save();
  log.info('stopped; every child is gone');
  return 0;
}
