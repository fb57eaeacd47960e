/**
 * DEL, top-down: validate the config → withNodeStore (the pod's lock, the
 * store, the call's log line) → tear the datapath down → release the
 * allocation. Idempotent: no netns, no allocation, no store, a repeated DEL —
 * all succeed; with nothing recorded, the host objects go by their
 * deterministic names. A DEL from an old sandbox of a recreated pod finds no
 * allocation under its container id, so it cannot free the new sandbox's IP.
 * Never touches the cloud.
 */
import type { Call } from '@cello/cni-types';
import { endPrestarted, HOST, prestartBatch, type TeardownTarget, teardown } from '@cello/cello-link';
import { validateConfig } from './netconf.ts';
import { allocationKey, type CallScope, withNodeStore } from './node-store.ts';
import { mark } from './trace.ts';

export async function cmdDel(call: Call): Promise<void> {
  const cfg = validateConfig(call.conf);
  const key = allocationKey(call);
  const netns = call.env.netns || undefined;
  const byName: TeardownTarget = { containerId: key.containerId, ifname: key.ifname, netns };
  // A node that never allocated still gets its host objects removed by name.
  const noStore = async ({ log }: CallScope) => void (await teardown(byName, { datapath: cfg.datapath, log }));
  // The host's `ip -force -batch` process starts now and takes its lines once the pod is locked.
  prestartBatch(HOST, 'ip', { force: true });
  try {
    return await withNodeStore(call, cfg, { podLock: true, noStore }, async ({ store, log, note }) => {
      const allocation = store.allocation(key);
      mark('allocation read');
      await teardown(allocation ? { ...allocation, netns: netns ?? allocation.netns } : byName, { datapath: cfg.datapath ?? store.settings().datapath, log });
      mark('datapath torn down');
      const released = store.release(key);
      mark('released');
      note({ released: released.released, ipv4: allocation?.ipv4, ipv6: allocation?.ipv6 });
    });
  } finally {
    endPrestarted();
  }
}
