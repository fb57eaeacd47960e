/**
 * `cello-agent metrics`: the node's one HTTP endpoint (:11414 by default).
 *
 *   /metrics  its own series (pool, CNI calls, the agent's roles), then
 *             every other role's registry read from its unix socket
 *   /healthz  200 `ok` once the node is ready (the pool holds IPs and the
 *             conflist is installed), else 503 with the reason; the
 *             DaemonSet's readiness probe and the Cilium container wait on it
 *   /livez    200 while this server runs (the liveness probe)
 *
 * CELLO_DISABLE_METRICS=true turns /metrics off, as upstream.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Logger } from '@cello/cli-kit';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { readKeeperState } from '../keeper/state.ts';
import { type AgentPaths, runFiles } from '../paths.ts';
import { readAgentState } from '../supervisor/state.ts';
import { registerCniMetrics } from './cni-metrics.ts';
import { registerPoolMetrics } from './pool.ts';
import { scrapeChildren } from './socket.ts';

export interface MetricsServerOptions {
  paths: Pick<AgentPaths, 'runDir' | 'stateDir' | 'cniLog'>;
  host: string;
  port: number;
  log: Logger;
}

function registerAgentMetrics(registry: Registry, agentStateFile: string) {
  const up = new Gauge({ name: 'cello_agent_child_up', help: '1 while the supervisor’s child runs', labelNames: ['child'], registers: [registry] });
  const restarts = new Gauge({
    name: 'cello_agent_child_restarts',
    help: 'Times the supervisor restarted the child since it started',
    labelNames: ['child'],
    registers: [registry],
  });
  const ready = new Gauge({ name: 'cello_agent_ready', help: '1 once the node is ready for pods (pool filled, conflist installed)', registers: [registry] });
  return () => {
    const s = readAgentState(agentStateFile);
    ready.set(s?.ready ? 1 : 0);
    for (const [child, c] of Object.entries(s?.children ?? {})) {
      up.set({ child }, c.running ? 1 : 0);
      restarts.set({ child }, c.restarts);
    }
  };
}

/** Why the node is not ready, or undefined when it is. */
export function notReadyReason(runDir: string): string | undefined {
  const files = runFiles(runDir);
  if (existsSync(files.ready)) return undefined;
  const k = readKeeperState(files.keeperState);
  if (!k) return 'the pool keeper has not finished its first round';
  return `the pool holds ${k.pool.free} free ${k.mode === 'exclusive' ? 'ENIs' : 'IPs'}${k.blocked ? `: ${k.blocked}` : ' so far'}`;
}

export async function startMetricsServer(opts: MetricsServerOptions): Promise<Server> {
  const files = runFiles(opts.paths.runDir);
  const registry = new Registry();
  // prom-client samples event-loop lag with a 10 ms libuv timer by default: 100 wake-ups a second, ≈ 0.8 % of a core on an
  // idle node (agent-idle bench). 100 ms still catches the stalls worth seeing.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  const refreshPool = registerPoolMetrics(registry, { stateDir: opts.paths.stateDir, keeperStateFile: files.keeperState });
  const tail = registerCniMetrics(registry, opts.paths.cniLog);
  const refreshAgent = registerAgentMetrics(registry, files.agentState);
  const poller = setInterval(() => tail.poll(), 2000);
  poller.unref();
  const metricsOff = process.env.CELLO_DISABLE_METRICS === 'true';

  async function metrics(): Promise<string> {
    tail.poll();
    try {
      refreshPool();
    } catch (err) {
      opts.log.warn('cannot read the pool for metrics', { error: err });
    }
    refreshAgent();
    const parts = [await registry.metrics()];
    for (const [child, text] of await scrapeChildren(files.metricsDir)) {
      if (text) parts.push(text);
      else opts.log.debug('a child’s metrics socket did not answer', { child });
    }
    return parts.map((p) => (p.endsWith('\n') ? p : `${p}\n`)).join('');
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/livez') return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    if (path === '/healthz') {
      const why = notReadyReason(opts.paths.runDir);
      return void res.writeHead(why ? 503 : 200, { 'Content-Type': 'text/plain' }).end(why ? `not ready: ${why}\n` : 'ok');
    }
    if (path === '/metrics' && !metricsOff) {
      metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
        (err: Error) => {
          opts.log.error('metrics failed', { error: err });
          res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${err.message}\n`);
        },
      );
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: try /metrics, /healthz or /livez\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  server.on('close', () => clearInterval(poller));
  opts.log.info('serving metrics and health', { address: `${opts.host}:${opts.port}` });
  return server;
}
