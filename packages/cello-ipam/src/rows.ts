/** Table rows as SQLite returns them, and their conversion to and from the JSON records. */
import type { Allocation, AllocationKey, EniMode, EniRecord, ImportEni, IpRecord, IpState } from './types.ts';

export interface EniRow {
  id: string;
  mac: string;
  device: string | null;
  mode: EniMode;
  subnet_id: string | null;
  subnet_cidr: string;
  gateway: string;
  subnet_cidr_v6: string | null;
  gateway_v6: string | null;
  primary_ip: string;
  mtu: number | null;
  route_table: number;
  state: 'active' | 'releasing';
  imported_at: number;
  /** '' for the default network. */
  pod_network: string;
}

export interface IpRow {
  ip: string;
  family: 4 | 6;
  eni_id: string;
  state: IpState;
  freed_at: number | null;
  cooling_until: number | null;
  last_pod: string | null;
  imported_at: number;
}

export interface AllocationRow {
  network: string;
  container_id: string;
  ifname: string;
  pod_namespace: string;
  pod_name: string;
  netns: string;
  mode: EniMode;
  eni_id: string;
  ipv4: string | null;
  ipv6: string | null;
  allocated_at: number;
  pod_network: string;
}

/** The triple as SQL named parameters. */
export const keyParams = (k: AllocationKey) => ({ network: k.network, container_id: k.containerId, ifname: k.ifname });
export const KEY_WHERE = 'network = @network AND container_id = @container_id AND ifname = @ifname';

/** "namespace/name", the key of StatefulSet stickiness; null without a pod name. */
export const podKey = (ns: string | undefined, name: string | undefined) => (name ? `${ns ?? ''}/${name}` : null);

const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());

/** Drop the optional fields that are not set (undefined), so records compare and print cleanly. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The enis columns an import writes (route_table, state and imported_at are the store's own): eniRecord read backwards. */
export function eniColumns(e: ImportEni) {
  return {
    id: e.id,
    mac: e.mac,
    device: e.device ?? null,
    mode: e.mode,
    subnet_id: e.subnetId ?? null,
    subnet_cidr: e.subnetCidr,
    gateway: e.gateway,
    subnet_cidr_v6: e.subnetCidrV6 ?? null,
    gateway_v6: e.gatewayV6 ?? null,
    primary_ip: e.primaryIp,
    mtu: e.mtu ?? null,
    pod_network: e.podNetwork ?? '',
  } satisfies Partial<EniRow>;
}

export function eniRecord(r: EniRow): EniRecord {
  return defined({
    id: r.id,
    mac: r.mac,
    device: r.device ?? undefined,
    mode: r.mode,
    subnetId: r.subnet_id ?? undefined,
    subnetCidr: r.subnet_cidr,
    gateway: r.gateway,
    subnetCidrV6: r.subnet_cidr_v6 ?? undefined,
    gatewayV6: r.gateway_v6 ?? undefined,
    primaryIp: r.primary_ip,
    mtu: r.mtu ?? undefined,
    routeTable: r.route_table,
    podNetwork: r.pod_network || undefined,
  });
}

export function allocationRecord(r: AllocationRow, eni: EniRow | undefined): Allocation {
  return defined({
    network: r.network,
    containerId: r.container_id,
    ifname: r.ifname,
    podNamespace: r.pod_namespace,
    podName: r.pod_name,
    netns: r.netns,
    mode: r.mode,
    ipv4: r.ipv4 ?? undefined,
    ipv6: r.ipv6 ?? undefined,
    eni: eni ? eniRecord(eni) : null,
    allocatedAt: new Date(r.allocated_at).toISOString(),
    podNetwork: r.pod_network || undefined,
  }) as Allocation;
}

/** A cooling IP whose time is up is free; nothing needs to rewrite the row for that. */
export function effectiveState(r: Pick<IpRow, 'state' | 'cooling_until'>, now: number): IpState {
  return r.state === 'cooling' && (r.cooling_until ?? 0) <= now ? 'free' : r.state;
}

export function ipRecord(r: IpRow, now: number, primary: boolean, owner?: AllocationRow): IpRecord {
  const state = effectiveState(r, now);
  return defined({
    ip: r.ip,
    family: r.family,
    eniId: r.eni_id,
    state,
    primary,
    lastPod: r.last_pod ?? undefined,
    freedAt: iso(r.freed_at),
    coolingUntil: state === 'cooling' ? iso(r.cooling_until) : undefined,
    owner: owner && {
      network: owner.network,
      containerId: owner.container_id,
      ifname: owner.ifname,
      podNamespace: owner.pod_namespace,
      podName: owner.pod_name,
    },
  });
}
