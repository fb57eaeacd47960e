/**
 * CNI spec data types. The internal representation of a result is the newest
 * (1.1.0) shape; `result.ts` converts it to and from older versions.
 */

export interface Dns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export interface Interface {
  name: string;
  mac?: string;
  /** 1.1.0 */
  mtu?: number;
  /** Netns path; empty or absent for host-side interfaces. */
  sandbox?: string;
  /** 1.1.0 */
  socketPath?: string;
  /** 1.1.0 */
  pciID?: string;
}

export interface IpConfig {
  /** 0.3.x and 0.4.0 only: "4" or "6". */
  version?: '4' | '6';
  /** Index into `interfaces`; 0 is a valid index and is kept. */
  interface?: number;
  /** CIDR notation: 10.0.0.5/24. */
  address: string;
  gateway?: string;
}

export interface Route {
  dst: string;
  gw?: string;
  /** 1.1.0 */
  mtu?: number;
  /** 1.1.0 */
  advmss?: number;
  /** 1.1.0 */
  priority?: number;
  /** 1.1.0 */
  table?: number;
  /** 1.1.0: 0 universe, 253 link, 254 host. */
  scope?: number;
}

export interface Result {
  cniVersion: string;
  interfaces?: Interface[];
  ips?: IpConfig[];
  routes?: Route[];
  dns?: Dns;
}

export interface Attachment {
  containerID: string;
  ifname: string;
}

/** Bandwidth capability, normalised to the spec's camelCase keys. Rates bit/s, bursts bits. */
export interface BandwidthConfig {
  ingressRate?: number;
  ingressBurst?: number;
  egressRate?: number;
  egressBurst?: number;
}

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol?: string;
  hostIP?: string;
}

export interface RuntimeConfig {
  bandwidth?: BandwidthConfig;
  portMappings?: PortMapping[];
  dns?: { servers?: string[]; searches?: string[]; options?: string[] };
  ips?: string[];
  mac?: string;
  [key: string]: unknown;
}

/** A plugin's network configuration as it arrives on stdin (the plugin object plus name/cniVersion). */
export interface NetConf {
  cniVersion: string;
  name: string;
  type: string;
  capabilities?: Record<string, boolean>;
  ipam?: { type?: string; [key: string]: unknown };
  dns?: Dns;
  runtimeConfig?: RuntimeConfig;
  prevResult?: Result;
  args?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A network configuration list (`*.conflist`). */
export interface NetConfList {
  cniVersion: string;
  cniVersions?: string[];
  name: string;
  disableCheck?: boolean | string;
  disableGC?: boolean | string;
  loadOnlyInlinedPlugins?: boolean;
  plugins: Array<{ type: string; [key: string]: unknown }>;
}

export type Verb = 'ADD' | 'DEL' | 'CHECK' | 'GC' | 'STATUS' | 'VERSION';

export interface VersionResult {
  cniVersion: string;
  supportedVersions: string[];
}
