/**
 * `cello-agent capacity`: the device plugin for this node's mode
 * (`vke.volcengine.com/eni-ip` shared, `vke.volcengine.com/eni` exclusive),
 * kept registered and counted:
 *
 * - every second: is the kubelet's socket new (a kubelet restart re-creates
 *   it and forgets every plugin), or did our socket vanish? Then serve
 *   again and register again. Registration failures retry every tick.
 * - the count is recomputed when the keeper's capacity or mode changes and
 *   every `recountMs` (upstream: 5 minutes) for the stock pods.
 */
import { existsSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { DB_FILE, openStore } from '@cello/cello-ipam';
import type { Logger } from '@cello/cli-kit';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Kube } from '../kube/client.ts';
import { readKeeperState } from '../keeper/state.ts';
import { serveRegistry } from '../metrics/socket.ts';
import { type AgentPaths, runFiles } from '../paths.ts';
import { deviceCount, resourceFor, stockPods } from './count.ts';
import { DevicePluginServer } from './plugin.ts';
import { KUBELET_SOCKET } from './proto.ts';

export interface CapacityOptions {
  paths: Pick<AgentPaths, 'runDir' | 'stateDir' | 'devicePluginDir'>;
  kube: Kube;
  node: string;
  log: Logger;
  signal: AbortSignal;
  recountMs?: number;
  tickMs?: number;
}

const inodeOf = (path: string) => {
  try {
    return statSync(path).ino;
  } catch {
    return 0;
  }
};

/** `namespace/name` of every pod that holds an allocation on this node. */
function allocatedPods(stateDir: string): Set<string> {
  if (!existsSync(join(stateDir, DB_FILE))) return new Set();
  const store = openStore({ stateDir });
  try {
    return new Set(
      store
        .allocations()
        .filter((a) => a.podName)
        .map((a) => `${a.podNamespace}/${a.podName}`),
    );
  } finally {
    store.close();
  }
}

export async function runCapacityReporter(opts: CapacityOptions): Promise<void> {
  const { log, signal } = opts;
  const files = runFiles(opts.paths.runDir);
  const kubeletSocket = join(opts.paths.devicePluginDir, KUBELET_SOCKET);
  const registry = new Registry();
  const devices = new Gauge({
    name: 'cello_device_plugin_devices',
    help: 'Devices (pods) advertised to the kubelet, by resource',
    labelNames: ['resource'],
    registers: [registry],
  });
  const stockGauge = new Gauge({
    name: 'cello_device_plugin_stock_pods',
    help: 'Pods holding a Cello IP without requesting the resource (taken off the count)',
    registers: [registry],
  });
  const registrations = new Counter({
    name: 'cello_device_plugin_registrations_total',
    help: 'Registrations with the kubelet, by resource and result',
    labelNames: ['resource', 'result'],
    registers: [registry],
  });
  const metricsServer = await serveRegistry(files.metricsSocket('capacity'), registry);

  let plugin: DevicePluginServer | undefined;
  let registeredWith = 0;
  let lastError = '';
  let capacity = -1;
  let stock = 0;
  let recountAt = 0;

  const recount = async (cap: number) => {
    try {
      const pods = (await opts.kube.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${opts.node}` })).items;
      stock = stockPods(pods, allocatedPods(opts.paths.stateDir)).length;
    } catch (err) {
      log.warn('cannot count the stock pods; keeping the last count', { error: err });
    }
    const n = deviceCount(cap, stock);
    stockGauge.set(stock);
    if (plugin) {
      if (n !== plugin.advertised) log.info('capacity', { resource: plugin.resourceName, devices: n, capacity: cap, stockPods: stock });
      plugin.setCount(n);
      devices.set({ resource: plugin.resourceName }, n);
    }
  };

  try {
    while (!signal.aborted) {
      const k = readKeeperState(files.keeperState);
      if (k) {
        const resource = resourceFor(k.mode);
        if (plugin && plugin.resourceName !== resource) {
          await plugin.stop();
          plugin = undefined;
        }
        if (!plugin) {
          plugin = new DevicePluginServer(resource, join(opts.paths.devicePluginDir, `cello-${resource.split('/').pop()}.sock`));
          registeredWith = 0;
          capacity = -1;
        }
        if (k.pool.capacity !== capacity || Date.now() >= recountAt) {
          capacity = k.pool.capacity;
          recountAt = Date.now() + (opts.recountMs ?? 300_000);
          await recount(capacity);
        }
        const kubelet = inodeOf(kubeletSocket);
        if (kubelet && (kubelet !== registeredWith || !existsSync(plugin.socketPath))) {
          try {
            await plugin.stop();
            await plugin.start();
            await plugin.register(kubeletSocket);
            registeredWith = kubelet;
            lastError = '';
            registrations.inc({ resource, result: 'ok' });
            log.info('registered with the kubelet', { resource, endpoint: plugin.socketPath, devices: plugin.advertised });
          } catch (err) {
            registrations.inc({ resource, result: 'failed' });
            const message = (err as Error).message;
            if (message !== lastError) log.warn('device plugin not registered yet; retrying', { error: err });
            lastError = message;
          }
        }
      }
      await sleep(opts.tickMs ?? 1000, undefined, { signal }).catch(() => undefined);
    }
  } finally {
    await plugin?.stop();
    metricsServer.close();
  }
}
