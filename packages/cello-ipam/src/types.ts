/**
 * The records cello-ipam reads and writes. The JSON shapes the tools pass each
 * other (EniRecord, Import, Allocation, Settings, Surplus) are the contracts of
 * docs/architecture.md and live in @cello/records; what follows is cello-ipam's own.
 */
import type { Allocation, AllocationKey, EniMode, EniRecord, IpFamilySetting, Settings, SurplusEni } from '@cello/records';

export type {
  Allocation,
  AllocationKey,
  DatapathChoice,
  EniMode,
  EniRecord,
  ImportDoc,
  ImportEni,
  IpFamilySetting,
  Settings,
  SurplusDoc,
  SurplusEni,
} from '@cello/records';

/** `cooling` is reported while `coolingUntil` is in the future; after that the IP is `free`. */
export type IpState = 'free' | 'used' | 'cooling' | 'releasing';

export interface ImportResult {
  /** Every ENI of the document as now stored (with its routeTable). */
  enis: EniRecord[];
  added: { enis: number; ips: number };
}

export interface AllocRequest extends AllocationKey {
  podNamespace?: string;
  podName?: string;
  netns?: string;
  /** The pod's PodNetwork (docs/podnetworks.md); '' or absent: the default network. */
  podNetwork?: string;
}

export interface ReleaseResult {
  /** False when the triple was unknown (nothing to do, still a success). */
  released: boolean;
  allocation?: Allocation;
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
  /** Absent for the default network. */
  podNetwork?: string;
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
  /** Absent for the default network. */
  podNetwork?: string;
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
  /** The default network's pool (ENIs of no pod network). */
  totals: { ipv4: StateCounts; ipv6: StateCounts; available: number; allocations: number };
  /** Each pod network with ENIs or demand on this node: its ENIs, how many more pods they can take now, ADDs waiting. */
  podNetworks: Record<string, { enis: number; available: number; demand: number }>;
  /** The default network's ADDs that found no IP. */
  demand: { count: number; oldestAt?: string };
}

/** One way the store contradicts itself: what `check` reports (e.g. a used IP no allocation holds). */
export interface Inconsistency {
  /** A stable code, e.g. `used-without-owner`. */
  kind: string;
  message: string;
}
