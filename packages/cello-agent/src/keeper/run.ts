/**
 * `cello-agent keeper`: cello-eni's pool keeper (runKeeper) in this process,
 * with what the agent adds around it: its OpenAPI and metadata metrics on a
 * unix socket, its state after every round in /run/cello/keeper.json (the
 * supervisor's readiness signal), and Kubernetes events on the node for
 * quotas, full subnets, throttling and credential failures.
 */
import { rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { ipamMode, type KeeperSummary, type RoundReport, runKeeper } from '@cello/cello-eni';
import type { Logger } from '@cello/cli-kit';
import type { NodeEventRecorder } from '../kube/events.ts';
import { serveRegistry } from '../metrics/socket.ts';
import { type AgentPaths, runFiles } from '../paths.ts';
import { eventForBlocked, eventForCode, eventForError, eventsForNetworks, type NodeEvent } from './events.ts';
import { keeperMetrics } from './metrics.ts';
import { type KeeperState, writeKeeperState } from './state.ts';

export interface AgentKeeperOptions {
  paths: Pick<AgentPaths, 'runDir' | 'configFile' | 'nodeConfigFile' | 'stateDir'>;
  log: Logger;
  signal: AbortSignal;
  /** Where events go; without one they are only logged. */
  events?: NodeEventRecorder;
}

export async function runAgentKeeper(opts: AgentKeeperOptions): Promise<KeeperSummary> {
  const files = runFiles(opts.paths.runDir);
  const metrics = keeperMetrics();
  const socket = files.metricsSocket('keeper');
  let server: Server | undefined;
  const emit = (e: NodeEvent | undefined) => {
    if (!e) return;
    metrics.onEvent(e.reason);
    opts.log.warn(e.message, { event: e.reason });
    void opts.events?.record(e.reason, e.message);
  };
  let rounds = 0;
  let instanceId = '';
  let mode: KeeperState['mode'] = 'shared';
  const onRound = (r: RoundReport) => {
    rounds++;
    metrics.onRound(r.errors.length ? 'error' : r.met ? 'met' : 'unmet');
    emit(eventForBlocked(r));
    for (const e of eventsForNetworks(r)) emit(e);
    const state: KeeperState = {
      at: new Date().toISOString(),
      instanceId,
      mode,
      rounds,
      met: r.met,
      ...(r.blocked ? { blocked: r.blocked } : {}),
      errors: r.errors,
      pool: r.after,
      ...(r.podNetworks.length
        ? {
            podNetworks: r.podNetworks.map((n) => ({
              network: n.network,
              waiting: n.waiting,
              available: n.available + n.added,
              target: n.target,
              ...(n.blocked ? { blocked: n.blocked } : {}),
            })),
          }
        : {}),
    };
    try {
      writeKeeperState(files.keeperState, state);
    } catch (err) {
      opts.log.error('cannot write the keeper state', { file: files.keeperState, error: err });
    }
  };

  try {
    server = await serveRegistry(socket, metrics.registry);
    return await runKeeper({
      configPaths: { config: opts.paths.configFile, nodeConfig: opts.paths.nodeConfigFile },
      stateDir: opts.paths.stateDir,
      signal: opts.signal,
      log: opts.log,
      onStart: (k) => {
        instanceId = k.identity.instanceId;
        mode = ipamMode(k.config);
        k.client.metrics.on('call', (e) => {
          metrics.onCall(e);
          if (e.code !== 'OK') emit(eventForCode(e.action, e.code));
        });
        k.metadata.metrics.on('call', metrics.onMetadata);
      },
      onRound,
    });
  } catch (err) {
    emit(eventForError(err));
    throw err;
  } finally {
    server?.close();
    rmSync(socket, { force: true });
  }
}
