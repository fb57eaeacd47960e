/**
 * STATUS (CNI 1.1), top-down: validate the config → withNodeStore (the
 * store, read only; the call's log line) → 0 when an ADD could succeed now —
 * a free IP, or a running pool keeper that will add some; otherwise code 50
 * with the reason.
 */
import { KEEPER_LOCK, isLocked } from '@cello/cli-kit';
import { type Call, CniError, ErrorCode } from '@cello/cni-types';
import { validateConfig } from './netconf.ts';
import { withNodeStore } from './node-store.ts';

export async function cmdStatus(call: Call): Promise<void> {
  const cfg = validateConfig(call.conf);
  const keeperRunning = () => isLocked(cfg.stateDir, KEEPER_LOCK);
  const noStore = async () => {
    if (await keeperRunning()) return;
    throw new CniError(ErrorCode.PluginNotAvailable, `no IPAM store in ${cfg.stateDir} and no pool keeper running (start cello-agent)`);
  };
  return withNodeStore(call, cfg, { podLock: false, noStore }, async ({ store }) => {
    let available: number;
    try {
      available = store.stats().totals.available;
    } catch (err) {
      throw new CniError(ErrorCode.PluginNotAvailable, `the IPAM store is unreadable: ${(err as Error).message}`);
    }
    if (available > 0 || (await keeperRunning())) return;
    throw new CniError(ErrorCode.PluginNotAvailable, 'no free IP on this node and no pool keeper running (start cello-agent, or `cello-eni pool --watch`)');
  });
}
