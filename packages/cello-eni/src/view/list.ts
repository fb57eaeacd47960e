/**
 * The ops view: this node's ENIs as the cloud sees them, joined with the host
 * (device by MAC) and cello-ipam (IPs used / free / cooling / releasing);
 * or every Cello ENI in the VPC. Read-only: a missing store is not created.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DB_FILE, DEFAULT_STATE_DIR, type EniStats, type IpRecord, withStore } from '@cello/cello-ipam';
import type { EniContext } from '../context.ts';
import { devicesByMac } from '../lifecycle/host.ts';
import { clusterFilter, createdFor, isOwned, ownedFilter, podNetworkOf } from '../lifecycle/tags.ts';
import type { CloudEni } from '../openapi/api.ts';

export interface EniView {
  id: string;
  type: string;
  status: string;
  /** Created by Cello for this node (carries its tags). */
  cello: boolean;
  instanceId: string;
  mac: string;
  device?: string;
  subnetId: string;
  primaryIp: string;
  /** IPv4s in the cloud, the primary included. */
  ips: number;
  ipv6s: number;
  /** From cello-ipam (absent when it does not know the ENI). */
  ipam?: { mode: string; used: number; free: number; cooling: number; releasing: number; ipv6Used?: number; ipv6Free?: number };
  securityGroupIds: string[];
  /** The PodNetwork it serves (its tag); absent: the default network. */
  podNetwork?: string;
  /** For --all: the instance the ENI was created for. */
  createdFor?: string;
}

/** cello-ipam's per-ENI counts, or undefined when the node has no store yet. */
function readStore(stateDir = DEFAULT_STATE_DIR): { enis: Map<string, EniStats>; ips: IpRecord[] } | undefined {
  if (!existsSync(join(stateDir, DB_FILE))) return undefined;
  return withStore({ stateDir }, (store) => ({ enis: new Map(store.stats().enis.map((e) => [e.id, e])), ips: store.ips() }));
}

function view(ctx: EniContext, e: CloudEni, devices: Map<string, string>, stats?: EniStats): EniView {
  return {
    id: e.id,
    type: e.type,
    status: e.status,
    cello: isOwned(ctx.config, e, ctx.identity.instanceId),
    instanceId: e.instanceId,
    mac: e.mac,
    ...(e.instanceId === ctx.identity.instanceId && devices.has(e.mac) ? { device: devices.get(e.mac) } : {}),
    subnetId: e.subnetId,
    primaryIp: e.primaryIp,
    ips: 1 + e.ips.length,
    ipv6s: e.ipv6s.length,
    ...(stats
      ? {
          ipam: {
            mode: stats.mode,
            used: stats.ipv4.used,
            free: stats.ipv4.free,
            cooling: stats.ipv4.cooling,
            releasing: stats.ipv4.releasing,
            ...(stats.ipv6.total ? { ipv6Used: stats.ipv6.used, ipv6Free: stats.ipv6.free } : {}),
          },
        }
      : {}),
    securityGroupIds: e.securityGroupIds,
    ...(podNetworkOf(e) ? { podNetwork: podNetworkOf(e) } : {}),
  };
}

/** This node's ENIs: attached ones (the primary too) and Cello's unattached ones for this instance. */
export async function listNode(ctx: EniContext, stateDir?: string): Promise<EniView[]> {
  const me = ctx.identity.instanceId;
  const [attached, owned] = await Promise.all([ctx.api.listEnis({ instanceId: me }), ctx.api.listEnis({ tags: ownedFilter(ctx.config, me) })]);
  const enis = [...attached, ...owned.filter((o) => !attached.some((a) => a.id === o.id))];
  const store = readStore(stateDir);
  const devices = devicesByMac();
  return enis
    .map((e) => view(ctx, e, devices, store?.enis.get(e.id)))
    .sort((a, b) => Number(b.type === 'primary') - Number(a.type === 'primary') || a.id.localeCompare(b.id));
}

/** Every Cello ENI in the VPC (of this cluster when clusterName is set), with the instance each was made for. */
export async function listAll(ctx: EniContext): Promise<EniView[]> {
  const enis = await ctx.api.listEnisByTags(clusterFilter(ctx.config), { vpcId: ctx.identity.vpcId });
  const devices = devicesByMac();
  return enis.map((e) => ({ ...view(ctx, e, devices), createdFor: createdFor(ctx.config, e) })).sort((a, b) => a.id.localeCompare(b.id));
}

/** One ENI: the cloud's record, the host device, and every IP cello-ipam has on it. */
export async function showEni(ctx: EniContext, id: string, stateDir?: string) {
  const eni = await ctx.api.describeEni(id);
  if (!eni) return undefined;
  const store = readStore(stateDir);
  const devices = devicesByMac();
  return { ...eni, view: view(ctx, eni, devices, store?.enis.get(id)), ipamIps: store?.ips.filter((r) => r.eniId === id) ?? [] };
}
