/**
 * The pool gauges at scrape time: what is free and used right now (as pods
 * come and go) from cello-ipam's store; the targets, the cap and the pool's
 * size from the keeper's last round (they change only when it acts: an ADD
 * or DEL moves an IP between free, used and cooling, all of which count in
 * the total). Upstream's names: resource_pool_{max_cap,target,target_min,
 * total,available}{name,type}; ours add capacity, used, cooling and demand.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DB_FILE, type IpamStore, openStore } from '@cello/cello-ipam';
import { Gauge, type Registry } from 'prom-client';
import { readKeeperState } from '../keeper/state.ts';

export interface PoolSources {
  stateDir: string;
  keeperStateFile: string;
}

/** The store, opened once it exists (the keeper makes it) and kept open. */
function storeOpener(stateDir: string): () => IpamStore | undefined {
  let store: IpamStore | undefined;
  return () => {
    if (!store && existsSync(join(stateDir, DB_FILE))) store = openStore({ stateDir });
    return store;
  };
}

/** Register the gauges; returns the refresh to call before each scrape. */
export function registerPoolMetrics(registry: Registry, src: PoolSources): () => void {
  const store = storeOpener(src.stateDir);
  const labels = ['name', 'type'] as const;
  const g = (name: string, help: string, labelNames: readonly string[] = labels) => new Gauge({ name, help, labelNames, registers: [registry] });
  const maxCap = g('resource_pool_max_cap', 'Most units (IPs in shared mode, ENIs in exclusive) the pool may hold');
  const target = g('resource_pool_target', 'Free units the keeper keeps ready (poolTarget, capped by the node)');
  const targetMin = g('resource_pool_target_min', 'Units the pool holds at least (poolTargetMin, capped by the node)');
  const total = g('resource_pool_total', 'Units the node holds now (free, used and cooling)');
  const available = g('resource_pool_available', 'Units a pod can get right now');
  const capacity = g('cello_pool_capacity', 'Units the node can hold at most (its ENI slots × IPs per ENI, or its ENI slots)');
  const used = g('cello_pool_used', 'Pods holding an allocation', []);
  const cooling = g('cello_pool_cooling', 'Released IPs still cooling down before reuse', ['family']);
  const demand = g('cello_pool_demand', 'CNI ADDs waiting for the keeper to add an IP', []);
  const met = g('cello_keeper_targets_met', '1 when the keeper’s last round met the pool targets', []);
  const lastRound = g('cello_keeper_last_round_timestamp_seconds', 'When the keeper last finished a round', []);

  return () => {
    const s = store();
    if (!s) return;
    const stats = s.stats();
    used.set(stats.totals.allocations);
    cooling.set({ family: 'ipv4' }, stats.totals.ipv4.cooling);
    cooling.set({ family: 'ipv6' }, stats.totals.ipv6.cooling);
    demand.set(stats.demand.count);
    const mode = stats.settings.networkMode;
    const l = { name: mode === 'exclusive' ? 'eni' : 'eni-ip', type: mode };
    available.set(l, stats.totals.available);
    const k = readKeeperState(src.keeperStateFile);
    if (!k) return;
    maxCap.set(l, k.pool.maxCap);
    target.set(l, k.pool.target);
    targetMin.set(l, k.pool.targetMin);
    total.set(l, k.pool.total);
    capacity.set(l, k.pool.capacity);
    met.set(k.met ? 1 : 0);
    lastRound.set(Date.parse(k.at) / 1000);
  };
}
