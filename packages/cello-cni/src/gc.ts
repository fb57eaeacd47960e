/**
 * GC (CNI 1.1): release every allocation of this network that the runtime
 * does not list in cni.dev/valid-attachments; keep going past errors and
 * report them all. An allocation whose ADD is still in flight is left alone.
 */
import { podLockName, tryLock } from '@cello/cli-kit';
import { type Call, CniError, ErrorCode } from '@cello/cni-types';
import { teardown } from '@cello/cello-link';
import type { CallScope } from './call-log.ts';
import { openNodeStore, storeExists } from './node-state.ts';

export async function cmdGc(call: Call, { cfg, log, note }: CallScope): Promise<void> {
  const valid = call.conf.validAttachments;
  if (!valid) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, 'GC needs cni.dev/valid-attachments; refusing to release every allocation');
  }
  if (!storeExists(cfg)) return;
  const keep = new Set(valid.map((a) => `${a.containerID}/${a.ifname}`));
  const store = openNodeStore(cfg);
  const errors: string[] = [];
  let released = 0;
  try {
    const datapath = cfg.datapath ?? store.settings().datapath;
    const stale = store.allocations().filter((a) => a.network === call.conf.conf.name && !keep.has(`${a.containerId}/${a.ifname}`));
    for (const a of stale) {
      // Held while releasing, so no ADD/DEL of the pod can start meanwhile.
      const lock = await tryLock(cfg.stateDir, podLockName(a));
      if (!lock) {
        log.info('GC skips an attachment with a CNI call in flight', { containerId: a.containerId });
        continue;
      }
      try {
        await teardown(a, { datapath, log });
        store.release(a);
        released++;
      } catch (err) {
        errors.push(`${a.containerId}/${a.ifname} (${a.ipv4 ?? a.ipv6}): ${(err as Error).message}`);
      } finally {
        lock.release();
      }
    }
    note({ released, failed: errors.length, kept: keep.size });
  } finally {
    store.close();
  }
  if (errors.length) throw new CniError(ErrorCode.Internal, `GC could not release ${errors.length} attachment(s): ${errors.join('; ')}`);
}
