/**
 * The records cello-link reads and prints. EniRecord, Allocation and
 * LinkResult are the contracts of docs/architecture.md (@cello/records);
 * cello-link reads the part of an Allocation the datapath needs (LinkAllocation).
 */
import type { Allocation, DatapathChoice, EniRecord } from '@cello/records';
import type { BegunTeardown } from './teardown.ts';

export type { Datapath, DatapathChoice, EniMode, EniRecord, LinkInterface, LinkResult } from '@cello/records';

/**
 * An Allocation as setup, check and teardown read it: the CNI key, the netns,
 * the mode and addresses, and an ENI that is known (not null); the pod's
 * names and the network are optional.
 */
export type LinkAllocation = Pick<Allocation, 'containerId' | 'ifname' | 'netns' | 'mode' | 'ipv4' | 'ipv6'> &
  Partial<Pick<Allocation, 'network' | 'podNamespace' | 'podName' | 'allocatedAt'>> & { eni: EniRecord };

/** What teardown needs: the CNI key and netns, plus whatever else of the allocation is known. */
export type TeardownTarget = Pick<LinkAllocation, 'containerId' | 'ifname'> &
  Partial<Pick<LinkAllocation, 'netns' | 'mode' | 'ipv4' | 'ipv6'>> & { eni?: Partial<EniRecord> | null };

/** CNI's bandwidth capability: rates in bit/s, bursts in bits; 0 or absent = unshaped. */
export interface Bandwidth {
  ingressRate?: number;
  ingressBurst?: number;
  egressRate?: number;
  egressBurst?: number;
}

export interface CommonOptions {
  /** Called with one JSON-able record per notable event (cli-kit's logger fits). */
  log?: { debug(msg: string, f?: Record<string, unknown>): void; warn(msg: string, f?: Record<string, unknown>): void };
}

export interface SetupOptions extends CommonOptions {
  datapath?: DatapathChoice;
  bandwidth?: Bandwidth;
  /** The pod interface's MTU; default the ENI's `mtu`, else 1500. */
  mtu?: number;
  /**
   * The node's own addresses that pods reach through the host path (ipvlan's
   * `ipvl_<ifindex>` slave, exclusive's veth). Default: the addresses of the
   * device holding the main table's default route.
   */
  hostIps?: string[];
  /** ipvlan and exclusive: extra CIDRs sent to the host path (upstream's redirectToHostCIDRs). */
  redirectToHostCidrs?: string[];
}

export interface TeardownOptions extends CommonOptions {
  /** Which shared-mode datapath to undo; default `auto` (whatever setup would have picked). */
  datapath?: DatapathChoice;
  /** The same pod interface's teardown begun by name (beginTeardown): the host batch it started takes the rest. */
  begun?: BegunTeardown;
}

export interface EniUpOptions extends CommonOptions {
  datapath?: DatapathChoice;
  hostIps?: string[];
  redirectToHostCidrs?: string[];
}

/** One way the kernel differs from what setup made: what `check` reports, one per object. */
export interface Drift {
  side: 'host' | 'pod';
  /** The object, as one would write it for `ip`: `rule pref 512 to 192.168.1.11 lookup main`. */
  object: string;
  problem: string;
}
