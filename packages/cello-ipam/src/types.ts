/**
 * The records cello-ipam reads and writes. The JSON shapes (EniRecord, Import,
 * Allocation, Surplus/Forget) are the contracts in docs/architecture.md.
 */

export type EniMode = 'shared' | 'exclusive';
export type IpFamilySetting = 'ipv4' | 'ipv6' | 'dual';
export type Datapath = 'auto' | 'ipvlan' | 'veth';
/** `cooling` is reported while `coolingUntil` is in the future; after that the IP is `free`. */
export type IpState = 'free' | 'used' | 'cooling' | 'releasing';

/** An ENI as cello-ipam knows it (architecture.md "EniRecord"). */
export interface EniRecord {
  id: string;
  mac: string;
  device?: string;
  mode: EniMode;
  subnetId?: string;
  subnetCidr: string;
  gateway: string;
  subnetCidrV6?: string;
  gatewayV6?: string;
  primaryIp: string;
  mtu?: number;
  /** Assigned by cello-ipam on first import: stable for the ENI's life, ≥ 100. */
  routeTable: number;
}

/** One ENI in an Import document: the record (routeTable optional) and the IPs the cloud gave it. */
export interface ImportEni extends Omit<EniRecord, 'routeTable'> {
  routeTable?: number;
  ips?: string[];
  ipv6s?: string[];
}

export interface ImportDoc {
  enis: ImportEni[];
}

export interface ImportResult {
  /** Every ENI of the document as now stored (with its routeTable). */
  enis: EniRecord[];
  added: { enis: number; ips: number };
}

/** The CNI triple that keys an allocation. */
export interface AllocationKey {
  network: string;
  containerId: string;
  ifname: string;
}

export interface AllocRequest extends AllocationKey {
  podNamespace?: string;
  podName?: string;
  netns?: string;
}

/** architecture.md "Allocation": what `cello-link setup` reads. */
export interface Allocation extends AllocationKey {
  podNamespace: string;
  podName: string;
  netns: string;
  mode: EniMode;
  ipv4?: string;
  ipv6?: string;
  /** The ENI record, or null when the ENI was forgotten while this allocation held it. */
  eni: EniRecord | null;
  allocatedAt: string;
}

export interface ReleaseResult {
  /** False when the triple was unknown (nothing to do, still a success). */
  released: boolean;
  allocation?: Allocation;
}

/** architecture.md "Surplus and forget": `whole: true` means the ENI itself goes. */
export interface SurplusEni {
  id: string;
  ips: string[];
  ipv6s: string[];
  whole: boolean;
}

export interface SurplusDoc {
  enis: SurplusEni[];
}

export interface ForgetResult {
  /** What was removed, in the Surplus shape. */
  enis: SurplusEni[];
  /** IPs removed although an allocation held them: the pod still uses an address the cloud took back. */
  flagged: Array<{ ip: string; eniId: string; allocation: Allocation }>;
}

export interface IpRecord {
  ip: string;
  family: 4 | 6;
  eniId: string;
  state: IpState;
  primary: boolean;
  /** The pod (namespace/name) that last held it: a recreated pod of that name gets it back. */
  lastPod?: string;
  freedAt?: string;
  coolingUntil?: string;
  owner?: AllocationKey & { podNamespace: string; podName: string };
}

export interface Demand extends AllocationKey {
  podNamespace: string;
  podName: string;
  mode: EniMode;
  ipFamily: IpFamilySetting;
  createdAt: string;
}

/** Node settings the pool keeper writes and the CNI reads (the CNI never reads the cloud config). */
export interface Settings {
  networkMode: EniMode;
  ipFamily: IpFamilySetting;
  /** How long a released IP waits before anyone else may get it. */
  ipCooldownSec: number;
  datapath: Datapath;
}

export const DEFAULT_SETTINGS: Settings = {
  networkMode: 'shared',
  ipFamily: 'ipv4',
  ipCooldownSec: 30,
  datapath: 'auto',
};

export interface StateCounts {
  free: number;
  used: number;
  cooling: number;
  releasing: number;
  total: number;
}

export interface EniStats {
  id: string;
  mode: EniMode;
  device?: string;
  routeTable: number;
  /** The ENI was handed to `surplus` as a whole and waits to be deleted. */
  releasing: boolean;
  ipv4: StateCounts;
  ipv6: StateCounts;
  /** How many more allocations this ENI can serve right now under the node settings. */
  available: number;
}

export interface Stats {
  settings: Settings;
  enis: EniStats[];
  totals: { ipv4: StateCounts; ipv6: StateCounts; available: number; allocations: number };
  demand: { count: number; oldestAt?: string };
}

export interface Finding {
  /** A stable code, e.g. `used-without-owner`. */
  kind: string;
  message: string;
}
