/**
 * GC (CNI 1.1), top-down: validate the config and the attachment list →
 * withNodeStore (the store, the call's log line) → release every allocation
 * of this network that the runtime does not list in
 * cni.dev/valid-attachments, each under its pod's lock; keep going past
 * errors and report them all. An allocation whose pod has a CNI call in
 * flight is left alone.
 */
import { podLockName, tryLock } from '@cello/cli-kit';
import { type Call, CniError, ErrorCode } from '@cello/cni-types';
import { teardown } from '@cello/cello-link';
import { validateConfig } from './netconf.ts';
import { withNodeStore } from './node-store.ts';

export async function cmdGc(call: Call): Promise<void> {
  const cfg = validateConfig(call.conf);
  const valid = call.conf.validAttachments;
  if (!valid) throw new CniError(ErrorCode.InvalidNetworkConfig, 'GC needs cni.dev/valid-attachments; refusing to release every allocation');
  const keep = new Set(valid.map((a) => `${a.containerID}/${a.ifname}`));
  return withNodeStore(call, cfg, { podLock: false, noStore: async () => {} }, async ({ store, log, note }) => {
    const datapath = cfg.datapath ?? store.settings().datapath;
    const stale = store.allocations().filter((a) => a.network === call.conf.conf.name && !keep.has(`${a.containerId}/${a.ifname}`));
    const errors: string[] = [];
    let released = 0;
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
    if (errors.length) throw new CniError(ErrorCode.Internal, `GC could not release ${errors.length} attachment(s): ${errors.join('; ')}`);
  });
}
