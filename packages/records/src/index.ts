/**
 * The JSON records the tools pass each other — the contracts of
 * docs/architecture.md ("The JSON records between the tools") — as types,
 * with (parse.ts) the one parser of each record more than one tool reads,
 * (ip.ts) the one module for address text, and (inputs.ts) the rules every
 * tool applies to names that reach the kernel.
 * cello-eni produces ENIs, cello-ipam stores and allocates them, cello-link
 * programs them and reports a LinkResult, which cello-cni turns into the CNI
 * result. No imports (not even node:net): importing it costs nothing on the CNI path.
 *
 * Field names are camelCase; IPs are plain strings without a prefix length
 * unless the field says CIDR; MACs are lower-case and colon separated.
 */

export type EniMode = 'shared' | 'exclusive';
export type IpFamilySetting = 'ipv4' | 'ipv6' | 'dual';

/** The datapath asked for (a node setting, a conflist key, a flag): `auto` is ipvlan where the kernel has it, else veth. */
export type DatapathChoice = 'auto' | 'ipvlan' | 'veth';

/** The datapath that runs. `exclusive` follows from an allocation's mode, never from the choice. */
export type Datapath = 'ipvlan' | 'veth' | 'exclusive';

/** An ENI as cello-ipam knows it ("EniRecord"). */
export interface EniRecord {
  id: string;
  mac: string;
  /** The name when last seen: informational, cello-link always finds the device by `mac`. */
  device?: string;
  mode: EniMode;
  subnetId?: string;
  subnetCidr: string;
  gateway: string;
  /** Only with IPv6, as `gatewayV6`. */
  subnetCidrV6?: string;
  gatewayV6?: string;
  primaryIp: string;
  /** Optional: the device's own when absent. */
  mtu?: number;
  /** Assigned by cello-ipam on first import (≥ 100, stable for the ENI's life): the veth datapath's per-ENI routing table. */
  routeTable: number;
  /** The PodNetwork whose pods this ENI serves (made with its subnet and security groups); absent: the default network. */
  podNetwork?: string;
}

/** One ENI of an Import document (cello-eni → `cello-ipam import`): the record (routeTable optional) and the IPs the cloud gave it. */
export interface ImportEni extends Omit<EniRecord, 'routeTable'> {
  routeTable?: number;
  ips?: string[];
  ipv6s?: string[];
}

export interface ImportDoc {
  enis: ImportEni[];
}

/** The CNI triple that keys an allocation. */
export interface AllocationKey {
  network: string;
  containerId: string;
  ifname: string;
}

/** A pod interface's addresses and ENI (`cello-ipam alloc` → `cello-link setup`, "Allocation"). */
export interface Allocation extends AllocationKey {
  podNamespace: string;
  podName: string;
  netns: string;
  mode: EniMode;
  /** Present per the node's `ipFamily`; in exclusive mode `ipv4` is the ENI's primary IP. */
  ipv4?: string;
  ipv6?: string;
  /** The ENI record, or null when the ENI was forgotten while this allocation held it. */
  eni: EniRecord | null;
  allocatedAt: string;
  /** The PodNetwork the pod was placed on (docs/podnetworks.md); absent: the default network. */
  podNetwork?: string;
}

/** Node settings: the pool keeper writes them into cello-ipam, the CNI reads them there ("Settings"). */
export interface Settings {
  networkMode: EniMode;
  ipFamily: IpFamilySetting;
  /** How long a released IP waits before anyone else may get it. */
  ipCooldownSec: number;
  datapath: DatapathChoice;
}

/** One ENI of a Surplus document (`cello-ipam surplus` → `cello-eni unassign` → `cello-ipam forget`): `whole: true` means the ENI itself goes. */
export interface SurplusEni {
  id: string;
  ips: string[];
  ipv6s: string[];
  whole: boolean;
}

export interface SurplusDoc {
  enis: SurplusEni[];
}

export interface LinkInterface {
  name: string;
  mac: string;
  mtu?: number;
}

/** What `cello-link setup` made ("LinkResult"); cello-cni turns it into the CNI result. */
export interface LinkResult {
  datapath: Datapath;
  netns: string;
  /** The per-pod host-side device (veth and exclusive); absent for ipvlan, whose host side is shared. */
  hostInterface?: LinkInterface;
  /** CNI_IFNAME inside the pod. */
  podInterface: LinkInterface;
  /** The ifb of the shaping when bandwidth was asked (veth: on the host, for egress; ipvlan/exclusive: in the pod, for ingress). */
  ifbInterface?: { name: string };
  ips: Array<{ address: string; gateway: string }>;
  routes: Array<{ dst: string; gw: string }>;
}

export { INTERFACE_NAME_RULE, interfaceNameProblem, netnsPathProblem, podNetworkNameProblem } from './inputs.ts';
export { canonicalIp, cidrContains, type Family, familyOf, firstHost, hostCidr, isIPv4, isIPv6, networkOf, ofFamily, parseCidr, routeDst } from './ip.ts';
export { UsageError } from './errors.ts';
export { MAC, parseAllocationKey, parseEniRecord, parseImportDoc, parseImportEni, parseSurplusDoc, RecordError } from './parse.ts';
export {
  DURATION,
  type LabelSelector,
  type LabelSelectorRequirement,
  MAX_SECURITY_GROUPS,
  matchesSelector,
  parsePodNetwork,
  parsePodNetworkSelectors,
  POD_NETWORK_RESOURCE,
  type PodNetworkAllocation,
  PodNetworkError,
  type PodNetworkMode,
  type PodNetworkRecord,
  type PodNetworkSpec,
} from './pod-network.ts';
export { parsePodAddress, POD_ADDRESS_RESOURCE, podAddressObject, type PodAddressRecord, type PodAddressSpec } from './pod-address.ts';
