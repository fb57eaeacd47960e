/**
 * The sim's one long-running process, started by `up` inside the router
 * namespace (`vpc-sim serve`). It serves the metadata service, the OpenAPI
 * and the Kubernetes API on the sim's addresses, and the control API on a
 * unix socket; it drives the dataplane as ENIs and IPs change. It logs its
 * own errors to server.log, never exits on a bad request, and stops cleanly
 * on SIGTERM.
 */
import { closeSync, unlinkSync, writeSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createLogger } from '@cello/cli-kit';
import { Cloud } from '../cloud/cloud.ts';
import { deviceLost } from '../cloud/eni.ts';
import type { World } from '../cloud/types.ts';
import { resolveConfig, type SimConfig } from '../config.ts';
import { createControl } from '../control/server.ts';
import { LiveDataplane } from '../dataplane/live.ts';
import { buildInfo, type SimInfo } from '../info.ts';
import { K8sStore } from '../k8s/store.ts';
import { createKubernetes } from '../k8s/server.ts';
import { deleteNodeObject, seedKubernetes } from '../k8s/seed.ts';
import { createMetadata } from '../metadata/server.ts';
import { CallLog } from '../openapi/calls.ts';
import { Faults } from '../openapi/faults.ts';
import { createOpenApi } from '../openapi/server.ts';
import { KUBERNETES_PORT, SIM_ADDRESSES, simPaths } from '../naming.ts';
import { readJsonFile, writeJsonFile } from '@cello/cli-kit';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function listen(server: Server, where: { port: number; host: string } | { path: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(where, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Tell `up` (on fd 3) that the servers are listening. `up` may be gone already. */
function signalReady(): void {
  try {
    writeSync(3, 'ready\n');
    closeSync(3);
  } catch {
    // no one is waiting
  }
}

export async function runServer(name: string): Promise<void> {
  const paths = simPaths(name);
  const log = createLogger({ component: 'vpc-sim-server', file: paths.serverLog, fields: { sim: name } });
  const world = readJsonFile<World>(paths.world);
  const config = resolveConfig(readJsonFile<SimConfig>(paths.config) ?? {});
  if (!world) throw new Error(`${paths.world} is missing or unreadable; run vpc-sim up again`);

  let cloud: Cloud;
  const dataplane = new LiveDataplane(
    paths.routerNetns,
    {
      subnet: (id) => cloud.subnets.get(id),
      pluggedEnis: () => [...cloud.enis.values()].filter((e) => e.port),
      enis: () => [...cloud.enis.values()],
      securityGroups: () => cloud.world.securityGroups,
    },
    { sourceCheck: config.sourceCheck, securityGroups: config.enforceSecurityGroups },
  );
  cloud = new Cloud(world, config, dataplane, (what, err) => log.error(`${what} failed`, { err: err as Error }));
  dataplane.watch((port) => {
    log.info('a device vanished from its node; plugging it in again', { port });
    deviceLost(cloud, port).catch((err) => log.error('could not plug a lost device again', { port, err }));
  });
  const faults = new Faults(config.flowLimits);
  const calls = new CallLog();
  const openapi = createOpenApi(cloud, faults, calls, log);
  const store = new K8sStore();
  seedKubernetes(store, cloud);
  const kubernetes = createKubernetes(store, world.kubeToken, log);
  const metadata = createMetadata(cloud, log);

  let info: SimInfo = readJsonFile<SimInfo>(paths.info) ?? buildInfo(world, config, paths, process.pid);
  const control = createControl({
    cloud,
    openapi,
    faults,
    calls,
    kubernetes,
    log,
    info: () => info,
    onInstanceDeleted(node, keepNode) {
      if (!keepNode) deleteNodeObject(store, node);
      info = { ...info, nodes: info.nodes.filter((n) => n.name !== node) };
      writeJsonFile(paths.info, info);
    },
  });

  const servers: Server[] = [];
  const serve = async (handler: Handler, where: { port: number; host: string } | { path: string }) => {
    const s = createServer({ keepAliveTimeout: 5000 }, handler);
    s.on('clientError', (_err, socket) => socket.destroy());
    await listen(s, where);
    servers.push(s);
  };
  try {
    unlinkSync(paths.controlSocket);
  } catch {
    // no stale socket
  }
  await serve(metadata.handle, { host: SIM_ADDRESSES.metadata, port: 80 });
  await serve(openapi.handle, { host: SIM_ADDRESSES.openapi, port: 80 });
  await serve(kubernetes.handle, { host: SIM_ADDRESSES.kubernetes, port: KUBERNETES_PORT });
  await serve(control.handle, { path: paths.controlSocket });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    cloud.stop();
    dataplane.stop();
    kubernetes.closeWatches();
    for (const s of servers) {
      s.close();
      s.closeAllConnections();
    }
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('uncaughtException', (err) => log.error('uncaught exception (kept running)', { err }));
  process.on('unhandledRejection', (err) => log.error('unhandled rejection (kept running)', { err: err as Error }));

  log.info('serving', { pid: process.pid, addresses: SIM_ADDRESSES, control: paths.controlSocket });
  signalReady();
}
