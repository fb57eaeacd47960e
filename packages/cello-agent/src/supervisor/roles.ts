/**
 * The roles `cello-agent run` keeps running, all in its own process (one
 * Node heap: ≈ 90 MiB for the lot, where a process per role cost ≈ 90 MiB
 * each). Each is the same function its subcommand runs alone
 * (`cello-agent keeper`, `capacity`, `metrics`, `config-sync --watch`,
 * `pod-networks`), so
 * any one can still be run by hand to debug it.
 *
 * gc is the exception: its sweeps run in a process of their own
 * (`cello-gc node --once`, started with zx every interval, ±20 % jitter), so
 * that the sweep's synchronous SQLite and lock glances never stall the
 * keeper, and no process stays resident between sweeps.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Logger, nextDelayMs } from '@cello/cli-kit';
import { $ } from 'zx';
import type { Kube } from '../kube/client.ts';
import type { AgentPaths } from '../paths.ts';
import type { RoleSpec } from './role.ts';

export interface RoleOptions {
  paths: AgentPaths;
  kube: Kube;
  nodeName: string;
  /** The metrics server's address; without it, the config's metricsListen. */
  listen?: { host: string; port: number };
  capacityRecountSec: number;
  /** Seconds between gc sweeps; 0: none. */
  gcIntervalSec: number;
  /** Where cello-gc is; no gc role without it. */
  binDir: string;
  /** The runtime (node, or bun) for the gc sweeps. */
  node: string;
  graceMs: number;
  /** Called after each pass of the pod-networks role that reached the store. */
  onPodNetworksSynced?: () => void;
}

const untilAborted = (signal: AbortSignal) => new Promise<void>((r) => (signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true })));

/** The roles, in start order; `afterReady` ones start once the node is ready. */
export function roleSpecs(o: RoleOptions): Array<RoleSpec & { afterReady?: boolean }> {
  const { paths, kube, nodeName: node } = o;
  const recorder = async (log: Logger) => new (await import('../kube/events.ts')).NodeEventRecorder({ core: kube.core, node, log });
  const specs: Array<RoleSpec & { afterReady?: boolean }> = [
    {
      name: 'config-sync',
      run: async (signal, log) => {
        const { ConfigSync } = await import('../config/sync.ts');
        const sync = new ConfigSync({ kube, node, configFile: paths.configFile, nodeConfigFile: paths.nodeConfigFile, log, events: await recorder(log) });
        await sync.watch(signal);
      },
    },
    {
      name: 'keeper',
      run: async (signal, log) => {
        const { runAgentKeeper } = await import('../keeper/run.ts');
        const events = await recorder(log);
        try {
          await runAgentKeeper({ paths, log, signal, events });
        } finally {
          await events.flush();
        }
      },
    },
    {
      name: 'capacity',
      run: async (signal, log) => {
        const { runCapacityReporter } = await import('../capacity/reporter.ts');
        await runCapacityReporter({ paths, kube, node, log, signal, recountMs: o.capacityRecountSec * 1000 });
      },
    },
    {
      name: 'pod-networks',
      run: async (signal, log) => {
        const { watchPodNetworks } = await import('../pod-networks/run.ts');
        const events = await recorder(log);
        try {
          await watchPodNetworks({ kube, node, stateDir: paths.stateDir, log, events, onSynced: o.onPodNetworksSynced }, signal);
        } finally {
          await events.flush();
        }
      },
    },
    {
      name: 'metrics',
      run: async (signal, log) => {
        const [{ startMetricsServer }, { metricsListen }] = await Promise.all([import('../metrics/server.ts'), import('../metrics/listen.ts')]);
        const server = await startMetricsServer({ paths, ...(o.listen ?? metricsListen(paths.configFile, paths.nodeConfigFile, log)), log });
        await untilAborted(signal);
        server.close();
      },
    },
  ];
  const gc = join(o.binDir, 'cello-gc');
  if (o.gcIntervalSec > 0 && existsSync(gc)) specs.push({ name: 'gc', afterReady: true, run: (signal, log) => gcSweeps(o, gc, signal, log) });
  return specs;
}

/** A gc sweep now and after every jittered interval, each in its own process, until stopped. */
async function gcSweeps(o: RoleOptions, gc: string, signal: AbortSignal, log: Logger): Promise<void> {
  const args = [
    'node',
    '--once',
    '--config',
    o.paths.configFile,
    '--node-config',
    o.paths.nodeConfigFile,
    '--state-dir',
    o.paths.stateDir,
    '--node-name',
    o.nodeName,
    '--output',
    'json',
  ];
  while (!signal.aborted) {
    const sweep = $({
      stdio: ['ignore', 'pipe', 'inherit'],
      nothrow: true,
      quiet: true,
      verbose: false,
      env: { ...process.env, NODE_NAME: o.nodeName },
    })`${o.node} ${gc} ${args}`;
    log.debug('gc sweep started', { pid: sweep.pid });
    const stop = () => {
      sweep.child?.kill('SIGTERM');
      setTimeout(() => sweep.child?.kill('SIGKILL'), o.graceMs).unref();
    };
    signal.addEventListener('abort', stop, { once: true });
    const out = await sweep;
    signal.removeEventListener('abort', stop);
    // Its report, as one JSON line on our stdout (what `cello-gc node --watch` printed per sweep).
    const report = out.stdout.trim();
    if (report) process.stdout.write(`${oneLine(report)}\n`);
    // exit 1: something found could not be fixed, or a sweep could not start (cello-gc logged why).
    if (out.exitCode !== 0 && !signal.aborted)
      log.warn('gc sweep did not finish clean; next one after the interval', { how: out.signal ? `signal ${out.signal}` : `exit ${out.exitCode}` });
    await sleep(nextDelayMs(o.gcIntervalSec), undefined, { signal }).catch(() => undefined);
  }
}

function oneLine(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json));
  } catch {
    return json.replace(/\n/g, ' ');
  }
}
