/**
 * The pool keeper: exactly one per node (it holds the node lock `keeper`,
 * which cello-cni's ADD and STATUS look for). It writes the node settings
 * cello-cni reads, reconciles cello-ipam with the cloud, then keeps the pool
 * at its targets:
 *
 * - `once`: rounds until the targets are met (exit 0) or cannot be (a quota,
 *   a full subnet, the node's limits: the reason is returned);
 * - watch: a full round (adding and giving back) every
 *   poolMonitorIntervalSec; a filling round within a second of an ADD that
 *   found the pool empty or of a config change (the keeper sleeps on inotify
 *   of the state and config directories, util/wakeup.ts; it looks anyway
 *   every 5 s where a watch misses);
 *   a reconcile every reconcileIntervalSec; failed rounds back off 5 s → 60 s.
 *
 * The stop signal ends it between steps; what an interrupted step left is
 * picked up by the next start's reconcile.
 */
import { dirname } from 'node:path';
import { DEFAULT_STATE_DIR, type IpamStore, openStore } from '@cello/cello-ipam';
import { type Logger, type NodeLock, KEEPER_LOCK, tryLock } from '@cello/cli-kit';
import { type ConfigPaths, DEFAULT_CONFIG_PATH, DEFAULT_NODE_CONFIG_PATH, loadConfig } from '../config/load.ts';
import { ipamMode } from '../config/resolve.ts';
import { connect } from '../context.ts';
import { SubnetPicker } from '../lifecycle/subnets.ts';
import type { ActionTotals } from '../openapi/metrics.ts';
import { SILENT } from '../log.ts';
import type { Progress } from '../util/progress.ts';
import { StoppedError } from '../util/sleep.ts';
import { Wakeup } from '../util/wakeup.ts';
import type { KeeperContext } from './context.ts';
import { reconcile, type ReconcileReport } from './reconcile.ts';
import { reloadConfig } from './reload.ts';
import { hasPodNetworks, networkNeeds } from './networks.ts';
import { type RoundReport, type RoundState, runRound } from './round.ts';

/** The longest idle wait where inotify could miss a change (util/wakeup.ts). */
const FALLBACK_WAKE_MS = 5000;
const STALE_DEMAND_MS = 5 * 60_000;
const ONCE_ROUNDS = 3;

export class KeeperBusyError extends Error {
  override readonly name = 'KeeperBusyError';
}

export interface KeeperOptions {
  configPaths?: ConfigPaths;
  stateDir?: string;
  once?: boolean;
  signal?: AbortSignal;
  log?: Logger;
  progress?: Progress;
  /** Called after every round (the agent's hook for metrics and events). */
  onRound?: (r: RoundReport) => void;
  /** Called once the keeper is connected: its OpenAPI client's call metrics live there. */
  onStart?: (k: KeeperContext) => void;
}

export interface KeeperSummary {
  instanceId: string;
  met: boolean;
  /** Why the targets are not met (once), or why the keeper stopped. */
  reason?: string;
  stopped: boolean;
  reconcile?: Omit<ReconcileReport, 'spares' | 'listed'> & { spares: string[] };
  rounds: RoundReport[];
  calls: Record<string, ActionTotals>;
}

export async function runKeeper(opts: KeeperOptions = {}): Promise<KeeperSummary> {
  const log = opts.log ?? SILENT;
  const paths = opts.configPaths ?? {};
  const loaded = loadConfig(paths);
  for (const w of loaded.warnings) log.warn(w);
  const lock: NodeLock | undefined = await tryLock(opts.stateDir ?? DEFAULT_STATE_DIR, KEEPER_LOCK);
  if (!lock)
    throw new KeeperBusyError(
      "another pool keeper is running on this node, or cello-gc is sweeping the cloud (either holds the node lock 'keeper'); stop the other keeper, or try again in a moment",
    );
  let store: IpamStore | undefined;
  const summary: KeeperSummary = { instanceId: '', met: false, stopped: false, rounds: [], calls: {} };
  let k: KeeperContext | undefined;
  try {
    const ctx = await connect(loaded.config, { log, signal: opts.signal, progress: opts.progress });
    store = openStore({ stateDir: opts.stateDir });
    k = { ...ctx, store, picker: undefined as unknown as SubnetPicker, stateDir: opts.stateDir ?? DEFAULT_STATE_DIR };
    // The picker reads k.config on every call, so a reloaded subnet list applies at once.
    k.picker = new SubnetPicker(k);
    opts.onStart?.(k);
    summary.instanceId = k.identity.instanceId;
    const cfg = k.config;
    store.setSettings({ networkMode: ipamMode(cfg), ipFamily: cfg.ipFamily, ipCooldownSec: cfg.ipCooldownSec, datapath: cfg.datapath });
    log.info('pool keeper started', {
      instanceId: k.identity.instanceId,
      instanceType: k.identity.instanceType,
      zone: k.identity.zone,
      networkMode: cfg.networkMode,
      ipFamily: cfg.ipFamily,
      poolTarget: cfg.poolTarget,
      poolTargetMin: cfg.poolTargetMin,
      once: Boolean(opts.once),
    });

    const state: RoundState = { spares: [] };
    const record = (r: RoundReport) => {
      summary.rounds.push(r);
      if (summary.rounds.length > 20) summary.rounds.shift();
      opts.onRound?.(r);
    };

    if (opts.once) {
      const { listed, ...rec } = await reconcile(k, { start: true });
      summary.reconcile = { ...rec, spares: rec.spares.map((e) => e.id) };
      state.spares = rec.spares;
      state.listed = listed;
      for (let i = 1; i <= ONCE_ROUNDS; i++) {
        const r = await runRound(k, state, { release: true });
        record(r);
        summary.met = r.met;
        summary.reason = r.met ? undefined : (r.blocked ?? r.errors[0] ?? 'targets not met');
        if (r.met || r.blocked) break;
      }
    } else {
      const wakeup = new Wakeup([
        opts.stateDir ?? DEFAULT_STATE_DIR,
        dirname(paths.config ?? DEFAULT_CONFIG_PATH),
        dirname(paths.nodeConfig ?? DEFAULT_NODE_CONFIG_PATH),
      ]);
      try {
        await watch(k, state, paths, loaded.fingerprint, record, wakeup, opts.signal);
      } finally {
        wakeup.close();
      }
    }
  } catch (err) {
    if (!(opts.signal?.aborted || err instanceof StoppedError)) throw err;
    summary.stopped = true;
    summary.reason = 'stopped';
  } finally {
    summary.calls = k?.client.metrics.snapshot() ?? {};
    store?.close();
    lock.release();
  }
  return summary;
}

async function watch(
  k: KeeperContext,
  state: RoundState,
  paths: ConfigPaths,
  fingerprint: string,
  record: (r: RoundReport) => void,
  wakeup: Wakeup,
  signal?: AbortSignal,
) {
  const cfgState = { fingerprint };
  let nextTick = 0;
  let nextReconcile = 0; // first thing; a failure is retried like a failed round
  let failures = 0;
  let retryAt: number;
  let seenDemands = '';
  let seenNetworks = '';
  let first = true;
  let started = false;
  for (;;) {
    const now = Date.now();
    try {
      if (now >= nextReconcile) {
        const rec = await reconcile(k, { start: !started });
        started = true;
        state.spares = rec.spares;
        state.listed = rec.listed;
        state.limits = undefined;
        nextReconcile = now + k.config.reconcileIntervalSec * 1000;
      }
      const tick = now >= nextTick;
      const r = await runRound(k, state, { release: tick });
      record(r);
      if (tick) nextTick = now + k.config.poolMonitorIntervalSec * 1000;
      failures = r.errors.length || r.after.toAdd > 0 ? failures + 1 : 0;
    } catch (err) {
      if (signal?.aborted || err instanceof StoppedError) throw err;
      failures++;
      k.log.error('pool round failed; trying again after a pause', { error: err, failures });
    }
    retryAt = failures ? Date.now() + Math.min(60_000, 5000 * 2 ** (failures - 1)) : Number.POSITIVE_INFINITY;
    if (first) {
      first = false;
      k.log.info('watching: rounds on demand, on config changes and every poolMonitorIntervalSec', { poolMonitorIntervalSec: k.config.poolMonitorIntervalSec });
    }
    k.store.clearDemands({ before: new Date(Date.now() - STALE_DEMAND_MS) });

    // Sleep until something calls for a round.
    for (;;) {
      await wakeup.wait(Math.min(nextTick, nextReconcile, retryAt) - Date.now(), FALLBACK_WAKE_MS, signal);
      const t = Date.now();
      if (reloadConfig(k, paths, cfgState)) break;
      if (t >= nextTick || t >= nextReconcile || t >= retryAt) break;
      const demands = k.store.demands();
      const key = demands.map((d) => `${d.containerId}/${d.ifname}`).join(',');
      if (demands.length && key !== seenDemands && !failures) {
        seenDemands = key;
        k.log.info('an ADD is waiting for an IP; filling now', { demands: demands.length });
        break;
      }
      if (!demands.length) seenDemands = '';
      // A pod just decided for a pod network (cello-agent), or a network's last pod gone: act before its ADD.
      const networks = networksToAct(k);
      if (networks && networks !== seenNetworks && !failures) {
        seenNetworks = networks;
        k.log.info('a pod network needs its pool changed; acting now', { podNetworks: networks });
        break;
      }
      if (!networks) seenNetworks = '';
    }
  }
}

/** The pod networks whose pool a round would change now (short of target, unused with ENIs, or a fixed address to move here), as one key; '' when none. */
function networksToAct(k: KeeperContext): string {
  // A node with no pod network pays nothing here on each wake (every ADD and DEL wakes the keeper).
  if (!hasPodNetworks(k.store)) return '';
  const pools = networkNeeds(k.store, k.store.stats())
    .filter((n) => (n.inUse ? n.spec && n.available < n.waiting + k.config.podNetworkPoolTarget : n.available > 0))
    .map((n) => `${n.network}:${n.waiting}:${n.available}`);
  // A fixed address the agent claimed for a pod just decided here: move it before the pod's ADD asks.
  const incoming = k.store
    .fixedIps()
    .filter((f) => f.state === 'incoming')
    .map((f) => `${f.podNetwork}:${f.ip}`);
  return [...pools, ...incoming].join(',');
}
