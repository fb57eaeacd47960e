/**
 * DEL, top-down: validate the config → withNodeStore (the pod's lock, the
 * store, the call's log line) → tear the datapath down → release the
 * allocation. The teardown begins by name as soon as the lock is held (the
 * host veth, whose deletion is ≈ 20 ms of kernel time, goes while the store
 * opens) and takes the allocation's routes and rules once it is read.
 * Idempotent: no netns, no allocation, no store, a repeated DEL — all
 * succeed; with nothing recorded, the host objects go by their
 * deterministic names. A DEL from an old sandbox of a recreated pod finds no
 * allocation under its container id, so it cannot free the new sandbox's IP.
 * Never touches the cloud.
 */
import type { Call } from '@cello/cni-types';
import { type BegunTeardown, beginTeardown, endPrestarted, HOST, prestartBatch, type TeardownTarget, teardown } from '@cello/cello-link';
import { validateConfig } from './netconf.ts';
import { allocationKey, type CallScope, withNodeStore } from './node-store.ts';
import { mark } from './trace.ts';

export async function cmdDel(call: Call): Promise<void> {
  const cfg = validateConfig(call.conf);
  const key = allocationKey(call);
  const netns = call.env.netns || undefined;
  const byName: TeardownTarget = { containerId: key.containerId, ifname: key.ifname, netns };
  let begun: BegunTeardown | undefined;
  const whenLocked = () => void (begun = beginTeardown(byName));
  // A node that never allocated still gets its host objects removed by name.
  const noStore = async ({ log }: CallScope) => void (await teardown(byName, { datapath: cfg.datapath, log, begun }));
  // The host's `ip -force -batch` process starts now and takes its first lines once the pod is locked.
  prestartBatch(HOST, 'ip', { force: true });
  try {
    return await withNodeStore(call, cfg, { podLock: true, noStore, whenLocked }, async ({ store, log, note }) => {
      const allocation = store.allocation(key);
      mark('allocation read');
      const target = allocation ? { ...allocation, netns: netns ?? allocation.netns } : byName;
      await teardown(target, { datapath: cfg.datapath ?? store.settings().datapath, log, begun });
      mark('datapath torn down');
      const released = store.release(key);
      mark('released');
      note({ released: released.released, ipv4: allocation?.ipv4, ipv6: allocation?.ipv6 });
    });
  } finally {
    begun?.batch.cancel(); // a DEL that failed before its teardown: the veth still goes
    endPrestarted();
  }
}
