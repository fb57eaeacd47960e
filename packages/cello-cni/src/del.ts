/**
 * DEL: tear the datapath down, then release the allocation. Idempotent: no
 * netns, no allocation, a repeated DEL — all succeed. Never touches the cloud.
 * A DEL from an old sandbox of a recreated pod finds no allocation under its
 * container id and so cannot free the new sandbox's IP.
 */
import type { Call } from '@cello/cni-types';
import { teardown } from '@cello/cello-link';
import type { CallScope } from './call-log.ts';
import { allocationKey, openNodeStore, lockCall, storeExists } from './node-state.ts';

export async function cmdDel(call: Call, { cfg, log, note }: CallScope): Promise<void> {
  const key = allocationKey(call);
  const lock = await lockCall(call, cfg.stateDir);
  try {
    if (!storeExists(cfg)) {
      // Nothing was ever allocated on this node; still remove any host objects by name.
      await teardown({ containerId: key.containerId, ifname: key.ifname, netns: call.env.netns || undefined }, { datapath: cfg.datapath, log });
      return;
    }
    const store = openNodeStore(cfg);
    try {
      const allocation = store.allocation(key);
      const datapath = cfg.datapath ?? store.settings().datapath;
      await teardown(
        allocation
          ? { ...allocation, netns: call.env.netns || allocation.netns }
          : { containerId: key.containerId, ifname: key.ifname, netns: call.env.netns || undefined },
        { datapath, log },
      );
      const released = store.release(key);
      note({ released: released.released, ipv4: allocation?.ipv4, ipv6: allocation?.ipv6 });
    } finally {
      store.close();
    }
  } finally {
    lock.release();
  }
}
