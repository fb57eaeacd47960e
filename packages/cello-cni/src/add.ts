/**
 * ADD: allocate (cello-ipam, one transaction), program the datapath
 * (cello-link), print the result. An empty pool records a demand, and the ADD
 * waits for the keeper up to poolWaitSec before failing with code 11. Any
 * failure after the allocation undoes what was made.
 */
import { KEEPER_LOCK, isLocked } from '@cello/cli-kit';
import { type Call, CniError, ErrorCode, type Result } from '@cello/cni-types';
import { type Allocation, type AllocRequest, type IpamStore, NoFreeIpError } from '@cello/cello-ipam';
import { setup, teardown } from '@cello/cello-link';
import type { CallScope } from './call-log.ts';
import { cniResult } from './cni-result.ts';
import { allocationKey, forLink, lockCall, openNodeStore, podLabel, requirePodNetns } from './node-state.ts';

export async function cmdAdd(call: Call, { cfg, log, note }: CallScope): Promise<Result> {
  const { env } = call;
  requirePodNetns(env.netns);
  const lock = await lockCall(call, cfg.stateDir);
  let store: IpamStore | undefined;
  try {
    store = openNodeStore(cfg);
    const request: AllocRequest = {
      ...allocationKey(call),
      podNamespace: env.args.podNamespace,
      podName: env.args.podName,
      netns: env.netns,
    };
    const allocation = await allocateOrWait(store, request, cfg, log);
    if (allocation.netns !== env.netns) {
      // A repeated ADD is idempotent only for the same place; the allocation stays with the ADD that made it.
      throw new CniError(
        ErrorCode.InvalidEnvironment,
        `${podLabel(request)}: ${allocation.containerId}/${allocation.ifname} was added in netns ${allocation.netns}, and this ADD names ${env.netns}; DEL it first`,
      );
    }
    const datapath = cfg.datapath ?? store.settings().datapath;
    try {
      const link = await setup(forLink(allocation), {
        datapath,
        bandwidth: call.conf.runtimeConfig.bandwidth,
        log,
      });
      note({ ipv4: allocation.ipv4, ipv6: allocation.ipv6, eni: allocation.eni?.id, datapath: link.datapath });
      return cniResult(link, call.conf.prevResult);
    } catch (err) {
      log.error('datapath setup failed; releasing the allocation', { error: err });
      await teardown(forLink(allocation), { datapath, log }).catch((e: unknown) => log.warn('undo teardown failed', { error: e }));
      store.release(allocationKey(call));
      throw err;
    }
  } finally {
    store?.close();
    lock.release();
  }
}

/** Allocate; if the pool is empty, record a demand and wait for the keeper (bounded). */
async function allocateOrWait(
  store: IpamStore,
  req: AllocRequest,
  { poolWaitSec: waitSec, stateDir }: CallScope['cfg'],
  log: CallScope['log'],
): Promise<Allocation> {
  let last: NoFreeIpError;
  try {
    return store.allocate(req, { recordDemand: true });
  } catch (err) {
    if (!(err instanceof NoFreeIpError)) throw err;
    last = err;
  }
  const keeper = await isLocked(stateDir, KEEPER_LOCK);
  log.warn('no free IP; waiting for the pool keeper', { reason: last.reason, keeperRunning: keeper, waitSec });
  const deadline = Date.now() + waitSec * 1000;
  while (Date.now() < deadline && (keeper || last.reason === 'cooling')) {
    await new Promise((r) => setTimeout(r, 250));
    try {
      return store.allocate(req);
    } catch (err) {
      if (!(err instanceof NoFreeIpError)) throw err;
      last = err;
    }
  }
  throw new CniError(ErrorCode.TryAgainLater, noIpMessage(req, last, keeper, waitSec));
}

function noIpMessage(req: AllocRequest, err: NoFreeIpError, keeper: boolean, waitSec: number): string {
  const why =
    err.reason === 'no-eni'
      ? 'this node has no ENI yet'
      : err.reason === 'cooling'
        ? `every free IP is cooling down (the first is free at ${err.freeAt?.toISOString()})`
        : 'every IP of this node is in use';
  const keeperNote = keeper
    ? `the pool keeper was asked for more and did not deliver within ${waitSec}s (see \`cello-eni list\` and the agent's events)`
    : 'no pool keeper is running on this node (start cello-agent, or `cello-eni pool --watch`)';
  return `no IP for ${podLabel(req)}: ${why}; ${keeperNote}`;
}
