/**
 * `vpc-sim up`: plan the world, record what will be made in the manifest,
 * build the namespaces and links, start the server inside the router
 * namespace, and return the info document. Leftovers of a sim of the same
 * name that is not running are cleaned up first; a sim that is running is
 * refused.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { UsageError, writeFileAtomic, writeJsonFile } from '@cello/cli-kit';
import type { SimConfig } from '../config.ts';
import { resolveConfig } from '../config.ts';
import { ControlClient } from '../control/client.ts';
import { buildNetwork } from '../dataplane/build.ts';
import { buildInfo, kubeconfigYaml, type SimInfo } from '../info.ts';
import { DEFAULT_NAME, RUN_ROOT, simPaths, type SimPaths } from '../naming.ts';
import { planWorld } from '../cloud/world.ts';
import { down } from './down.ts';
import { ensureMountPoints } from './exec.ts';
import { writeManifest, type Manifest } from './manifest.ts';
import { makeNodeFs } from './node-fs.ts';
import { simProgram } from './program.ts';

const MAX_NODES = 512;
const READY_TIMEOUT_MS = 20_000;

export interface UpOptions {
  name?: string;
  nodes?: number;
  instanceType?: string;
  /** The world settings (a parsed --config file); defaults for what is left out. */
  config?: unknown;
}

async function refuseRunning(paths: SimPaths): Promise<void> {
  if (!existsSync(paths.controlSocket)) return;
  const running = await new ControlClient(paths.controlSocket).health().then(
    () => true,
    () => false,
  );
  if (running) throw new UsageError(`sim ${paths.name} is already up; run vpc-sim down --name ${paths.name} first`);
}

function tail(file: string, lines = 5): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Start the server in the router namespace and wait until it listens. Returns its pid. */
async function startServer(paths: SimPaths, onPid: (pid: number) => void): Promise<number> {
  const logFd = openSync(paths.serverLog, 'a', 0o600);
  const child = spawn(
    'nsenter',
    [`--net=/var/run/netns/${paths.routerNetns}`, '--', process.execPath, simProgram(), 'serve', '--name', paths.name, '--state-dir', paths.stateDir],
    // Without the caller's NODE_OPTIONS: a test runner's loaders have no business in the server.
    { detached: true, stdio: ['ignore', logFd, logFd, 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  closeSync(logFd);
  if (child.pid === undefined) throw new UsageError('could not start the sim server (nsenter failed to spawn)');
  onPid(child.pid);
  const ready = child.stdio[3] as Readable;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new UsageError(`the sim server did not start within ${READY_TIMEOUT_MS / 1000}s; see ${paths.serverLog}`)),
        READY_TIMEOUT_MS,
      );
      let got = '';
      ready.on('data', (d) => {
        got += d;
        if (got.includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new UsageError(`the sim server exited (${code}) while starting: ${tail(paths.serverLog) || 'no log'}`));
      });
    });
  } finally {
    ready.destroy();
    child.removeAllListeners('exit');
    child.unref();
  }
  return child.pid;
}

export async function up(opts: UpOptions = {}): Promise<SimInfo> {
  const name = opts.name ?? DEFAULT_NAME;
  const paths = simPaths(name);
  const nodes = opts.nodes ?? 2;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) throw new UsageError(`--nodes must be 1-${MAX_NODES}, got ${opts.nodes}`);
  const config: SimConfig = resolveConfig(opts.config ?? {});
  const world = planWorld(name, config, nodes, opts.instanceType);

  await refuseRunning(paths);
  await down(name); // leftovers of an earlier run that died

  const manifest: Manifest = {
    name,
    stateDir: paths.stateDir,
    createdAt: new Date().toISOString(),
    status: 'creating',
    namespaces: [paths.routerNetns, ...world.instances.map((i) => i.netns)],
    pids: [],
  };
  mkdirSync(RUN_ROOT, { recursive: true, mode: 0o755 });
  try {
    mkdirSync(paths.stateDir, { mode: 0o700 });
  } catch {
    throw new UsageError(`${paths.stateDir} appeared while starting: is another vpc-sim up --name ${name} running?`);
  }
  try {
    writeManifest(paths, manifest);
    writeJsonFile(paths.world, world);
    writeJsonFile(paths.config, config);
    for (const i of world.instances) makeNodeFs(paths, i.node, world.region);
    ensureMountPoints();

    await buildNetwork(world, config, paths);
    const provisional = buildInfo(world, config, paths, 0);
    writeFileAtomic(paths.kubeconfig, kubeconfigYaml(provisional));
    const pid = await startServer(paths, (p) => writeManifest(paths, { ...manifest, pids: [p] }));
    const info = buildInfo(world, config, paths, pid);
    writeJsonFile(paths.info, info);
    writeManifest(paths, { ...manifest, pids: [pid], status: 'up' });
    return info;
  } catch (err) {
    await down(name).catch(() => undefined);
    throw err;
  }
}
