/**
 * The keeper's last word, in /run/cello/keeper.json, rewritten (atomically)
 * after every round. The supervisor reads it to decide when the node is
 * ready; the metrics server takes the pool's targets and size from it (they
 * change only when the keeper acts) and what is free and used from the store.
 */
import type { PoolTargets } from '@cello/cello-eni';
import { readJsonFile, writeJsonFile } from '@cello/cli-kit';

export interface KeeperState {
  at: string;
  instanceId: string;
  /** What a pod takes: an IP (shared) or a whole ENI (exclusive). */
  mode: 'shared' | 'exclusive';
  /** Rounds since the keeper started. */
  rounds: number;
  /** The last round met the targets. */
  met: boolean;
  /** Why the pool cannot grow, if something stops it (a quota, a full subnet, the node's limits). */
  blocked?: string;
  errors: string[];
  /** The pool after the last round. */
  pool: PoolTargets;
  /** Each pod network's pool in the last round (docs/podnetworks.md): waiting pods, available, target, why it could not grow. */
  podNetworks?: Array<{ network: string; waiting: number; available: number; target: number; blocked?: string }>;
}

export function writeKeeperState(file: string, state: KeeperState): void {
  writeJsonFile(file, state, 0o644);
}

export const readKeeperState = (file: string) => readJsonFile<KeeperState>(file);

/**
 * The node can take pods: the pool holds a free IP (or ENI), or the targets
 * ask for none and the keeper has met them (pods then get IPs on demand).
 */
export function poolReady(s: KeeperState | undefined): boolean {
  if (!s) return false;
  return s.pool.free > 0 || (s.met && s.pool.target === 0 && s.pool.targetMin === 0);
}
