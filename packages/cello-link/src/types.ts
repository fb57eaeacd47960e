/**
 * The records cello-link reads and prints. EniRecord, Allocation and
 * LinkResult are the contracts in docs/architecture.md.
 */

export type EniMode = 'shared' | 'exclusive';

/** What a caller asks for. `auto` becomes ipvlan where the kernel has it, else veth. */
export type DatapathChoice = 'auto' | 'ipvlan' | 'veth';

/** What actually runs. `exclusive` follows from an allocation's mode, never from the choice. */
export type Datapath = 'ipvlan' | 'veth' | 'exclusive';

/** An ENI as cello-ipam knows it (architecture.md "EniRecord"). */
export interface EniRecord {
  id: string;
  mac: string;
  /** The name when last seen: informational, cello-link always finds the device by `mac`. */
  device?: string;
  mode: EniMode;
  subnetId?: string;
  subnetCidr: string;
  gateway: string;
  subnetCidrV6?: string;
  gatewayV6?: string;
  primaryIp: string;
  mtu?: number;
  /** The veth datapath's per-ENI routing table (≥ 100, stable for the ENI's life). */
  routeTable: number;
}

/** One pod interface's addresses and ENI (architecture.md "Allocation"). */
export interface Allocation {
  network?: string;
  containerId: string;
  ifname: string;
  podNamespace?: string;
  podName?: string;
  netns: string;
  mode: EniMode;
  ipv4?: string;
  ipv6?: string;
  eni: EniRecord;
  allocatedAt?: string;
}

/** What teardown needs: the CNI key and netns, plus whatever else of the allocation is known. */
export type TeardownTarget = Pick<Allocation, 'containerId' | 'ifname'> &
  Partial<Pick<Allocation, 'netns' | 'mode' | 'ipv4' | 'ipv6'>> & { eni?: Partial<EniRecord> | null };

/** CNI's bandwidth capability: rates in bit/s, bursts in bits; 0 or absent = unshaped. */
export interface Bandwidth {
  ingressRate?: number;
  ingressBurst?: number;
  egressRate?: number;
  egressBurst?: number;
}

export interface LinkInterface {
  name: string;
  mac: string;
  mtu?: number;
}

/** What `setup` made (architecture.md "LinkResult"); cello-cni turns it into the CNI result. */
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
}

export interface EniUpOptions extends CommonOptions {
  datapath?: DatapathChoice;
  hostIps?: string[];
  redirectToHostCidrs?: string[];
}

/** One thing `check` found wrong. */
export interface Finding {
  side: 'host' | 'pod';
  /** The object, as one would write it for `ip`: `rule pref 512 to 192.168.1.11 lookup main`. */
  object: string;
  problem: string;
}
