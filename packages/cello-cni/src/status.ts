/**
 * STATUS (CNI 1.1): 0 when an ADD could succeed now — a free IP, or a running
 * pool keeper that will add some; otherwise code 50 with the reason.
 */
import { KEEPER_LOCK, isLocked } from '@cello/cli-kit';
import { type Call, CniError, ErrorCode } from '@cello/cni-types';
import type { CallScope } from './call-log.ts';
import { openNodeStore, storeExists } from './node-state.ts';

export async function cmdStatus(_call: Call, { cfg }: CallScope): Promise<void> {
  const keeper = await isLocked(cfg.stateDir, KEEPER_LOCK);
  if (!storeExists(cfg)) {
    if (keeper) return;
    throw new CniError(ErrorCode.PluginNotAvailable, `no IPAM store in ${cfg.stateDir} and no pool keeper running (start cello-agent)`);
  }
  let available: number;
  try {
    const store = openNodeStore(cfg);
    try {
      available = store.stats().totals.available;
    } finally {
      store.close();
    }
  } catch (err) {
    throw new CniError(ErrorCode.PluginNotAvailable, `the IPAM store is unreadable: ${(err as Error).message}`);
  }
  if (available > 0 || keeper) return;
  throw new CniError(ErrorCode.PluginNotAvailable, 'no free IP on this node and no pool keeper running (start cello-agent, or `cello-eni pool --watch`)');
}
