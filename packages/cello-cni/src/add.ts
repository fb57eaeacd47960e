/**
 * ADD, top-down: validate the config → withNodeStore (the pod's netns, its
 * lock, the store, the call's log line) → the pod's network (pod-network.ts)
 * → allocate in one cello-ipam transaction → program the datapath with
 * cello-link → the CNI result.
 *
 * An existing allocation for the same (network, container, ifname) and netns
 * is returned again. An empty pool records a demand, and the ADD waits for
 * the keeper up to poolWaitSec before failing with code 11.
 *
 * Undo is this file's, in one place (`undo` below): once the IP is allocated,
 * a failure takes down whatever setup made and releases the IP, then the
 * error goes on to the runtime. Nothing else in cello-cni undoes an ADD:
 * withNodeStore and the skel only report, and cello-link's setup only clears
 * leftovers of a crashed run before its one retry.
 */
import { KEEPER_LOCK, isLocked, type Logger } from '@cello/cli-kit';
import { type Call, CniError, ErrorCode, type Interface, type IpConfig, type Result, type Route } from '@cello/cni-types';
import { type Allocation, type AllocRequest, type IpamStore, NoFreeIpError } from '@cello/cello-ipam';
import { type DatapathChoice, endPrestarted, HOST, type LinkResult, prestartBatch, setup, teardown } from '@cello/cello-link';
import { type CelloNetConf, validateConfig } from './netconf.ts';
import { allocationKey, forLink, podLabel, withNodeStore } from './node-store.ts';
import { podNetworkFor } from './pod-network.ts';
import { mark } from './trace.ts';

export async function cmdAdd(call: Call): Promise<Result> {
  const cfg = validateConfig(call.conf);
  // The host's `ip -batch` process starts now and takes its lines once the pod is locked and allocated.
  prestartBatch(HOST, 'ip');
  try {
    return await addLocked(call, cfg);
  } finally {
    endPrestarted();
  }
}

async function addLocked(call: Call, cfg: CelloNetConf): Promise<Result> {
  const { env } = call;
  return withNodeStore(call, cfg, { podNetns: true, podLock: true }, async ({ store, log, note }) => {
    const podNetwork = await podNetworkFor(store, env.args, cfg.podNetworkWaitSec, log);
    if (podNetwork) note({ podNetwork });
    const request: AllocRequest = { ...allocationKey(call), podNamespace: env.args.podNamespace, podName: env.args.podName, netns: env.netns, podNetwork };
    const allocation = await allocateOrWait(store, request, cfg, log);
    mark('allocated');
    if (allocation.netns !== env.netns) {
      // A repeated ADD is idempotent only for the same place; the allocation stays with the ADD that made it.
      throw new CniError(
        ErrorCode.InvalidEnvironment,
        `${podLabel(request)}: ${allocation.containerId}/${allocation.ifname} was added in netns ${allocation.netns}, and this ADD names ${env.netns}; DEL it first`,
      );
    }
    const datapath = cfg.datapath ?? store.settings().datapath;
    let link: LinkResult;
    try {
      link = await setup(forLink(allocation), { datapath, bandwidth: call.conf.runtimeConfig.bandwidth, log });
    } catch (err) {
      await undo(store, allocation, datapath, log, err);
      throw err;
    }
    mark('datapath set up');
    note({ ipv4: allocation.ipv4, ipv6: allocation.ipv6, eni: allocation.eni?.id, datapath: link.datapath });
    return cniResult(link, call.conf.prevResult);
  });
}

/** The undo of an ADD that allocated: take down what setup may have made (by the allocation), then release the IP. */
async function undo(store: IpamStore, allocation: Allocation, datapath: DatapathChoice, log: Logger, err: unknown): Promise<void> {
  log.error('datapath setup failed; releasing the allocation', { error: err });
  await teardown(allocation, { datapath, log }).catch((e: unknown) => log.warn('undo teardown failed', { error: e }));
  store.release(allocation);
}

/** Allocate; if the pool is empty, record a demand and wait for the keeper (bounded). */
async function allocateOrWait(store: IpamStore, req: AllocRequest, { poolWaitSec: waitSec, stateDir }: CelloNetConf, log: Logger): Promise<Allocation> {
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
  const scope = req.podNetwork ? `podnetwork ${req.podNetwork}` : 'this node';
  const why =
    err.reason === 'moving'
      ? 'its fixed address is still on its way to this node (the pool keeper moves it from the ENI its PodAddress names)'
      : err.reason === 'no-eni'
        ? `${scope} has no ENI ${req.podNetwork ? 'on this node ' : ''}yet`
        : err.reason === 'cooling'
          ? `every free IP ${req.podNetwork ? `of ${scope} ` : ''}is cooling down (the first is free at ${err.freeAt?.toISOString()})`
          : `every IP of ${scope} is in use`;
  const keeperNote = keeper
    ? `the pool keeper was asked for more and did not deliver within ${waitSec}s (see \`cello-eni list\` and the agent's events)`
    : 'no pool keeper is running on this node (start cello-agent, or `cello-eni pool --watch`)';
  return `no IP for ${podLabel(req)}: ${why}; ${keeperNote}`;
}

/**
 * The CNI result: interfaces (the host side first, as ptp does, so chained
 * plugins such as bandwidth find the host veth; none on ipvlan), the pod's
 * IPs on the pod interface, routes. A prevResult from an earlier plugin is
 * kept and ours appended after it. Fields left undefined here are dropped
 * when the skel prints the result in the config's version (toVersion).
 */
function cniResult(link: LinkResult, prev?: Result): Result {
  const interfaces: Interface[] = [...(prev?.interfaces ?? [])];
  if (link.hostInterface) interfaces.push({ name: link.hostInterface.name, mac: link.hostInterface.mac });
  const podIndex = interfaces.length;
  interfaces.push({ name: link.podInterface.name, mac: link.podInterface.mac, mtu: link.podInterface.mtu, sandbox: link.netns });
  // The ifb of the shaping is listed as the reference bandwidth plugin lists its own.
  if (link.ifbInterface) interfaces.push({ name: link.ifbInterface.name });
  const ips: IpConfig[] = [...(prev?.ips ?? []), ...link.ips.map((ip) => ({ interface: podIndex, address: ip.address, gateway: ip.gateway }))];
  const routes: Route[] = [...(prev?.routes ?? []), ...link.routes.map((r) => ({ dst: r.dst, gw: r.gw }))];
  return {
    cniVersion: '1.1.0',
    interfaces,
    ips,
    routes,
    ...(prev?.dns ? { dns: prev.dns } : {}),
  };
}
