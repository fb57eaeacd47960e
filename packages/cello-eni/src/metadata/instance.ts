/**
 * What the metadata service says about this instance and its interfaces:
 * identity (read once at start), per-MAC ENI facts (read while waiting for
 * the service to agree with the cloud), and the whole tree for
 * `cello-eni metadata` (credentials never included).
 */
import type { MetadataClient } from './client.ts';

export interface NodeIdentity {
  instanceId: string;
  instanceType: string;
  region: string;
  zone: string;
  vpcId: string;
  primaryMac: string;
  primaryEniId: string;
}

export interface MetadataEni {
  mac: string;
  id: string;
  primaryIp: string;
  /** IPv4s on the interface as the service lists them (it may or may not include the primary). */
  privateIpv4s: string[];
  gateway: string;
  subnetId: string;
  subnetCidr: string;
}

const normMac = (mac: string) => mac.trim().toLowerCase().replace(/-/g, ':');

export async function readIdentity(md: MetadataClient, signal?: AbortSignal): Promise<NodeIdentity> {
  const [instanceId, instanceType, region, zone, vpcId, mac] = await Promise.all(
    ['instance_id', 'instance_type', 'region_id', 'availability_zone', 'vpc_id', 'mac'].map(async (p) => (await md.get(p, signal)).trim()),
  );
  const primaryMac = normMac(mac!);
  const primaryEniId = (await md.get(`network/interfaces/macs/${primaryMac}/network_interface_id`, signal)).trim();
  return { instanceId: instanceId!, instanceType: instanceType!, region: region!, zone: zone!, vpcId: vpcId!, primaryMac, primaryEniId };
}

/**
 * The MACs of every interface the service shows attached to this instance
 * (the primary included; someone else's too): `network/interfaces/macs`.
 * Node-local, so it costs the account's OpenAPI budget nothing; it lags the
 * API like every metadata item.
 */
export async function attachedMacs(md: MetadataClient, signal?: AbortSignal): Promise<string[]> {
  return [...new Set((await md.list('network/interfaces/macs', signal)).map((m) => normMac(m.replace(/\/$/, ''))).filter(Boolean))];
}

/** One interface, or undefined while the service does not show it. */
export async function metadataEni(md: MetadataClient, mac: string, signal?: AbortSignal): Promise<MetadataEni | undefined> {
  const m = normMac(mac);
  const base = `network/interfaces/macs/${m}`;
  const id = await md.tryGet(`${base}/network_interface_id`, signal);
  if (id === undefined) return undefined;
  const [primaryIp, ips, gateway, subnetId, subnetCidr] = await Promise.all(
    ['primary_ip_address', 'private_ipv4s', 'gateway', 'subnet_id', 'subnet_cidr_block'].map(async (p) =>
      ((await md.tryGet(`${base}/${p}`, signal)) ?? '').trim(),
    ),
  );
  return {
    mac: m,
    id: id.trim(),
    primaryIp: primaryIp!,
    privateIpv4s: ips!
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean),
    gateway: gateway!,
    subnetId: subnetId!,
    subnetCidr: subnetCidr!,
  };
}

export type MetadataTree = { [name: string]: string | null | MetadataTree };

/**
 * Walk the service's listings into a tree, leaving out `iam/` (role
 * credentials are secrets). Items the service lists but does not serve are null.
 */
export async function metadataTree(md: MetadataClient, path = '', signal?: AbortSignal): Promise<MetadataTree> {
  const names = await md.list(path, signal);
  const tree: MetadataTree = {};
  for (const raw of names) {
    const dir = raw.endsWith('/');
    const name = raw.replace(/\/$/, '');
    const child = `${path}${path && !path.endsWith('/') ? '/' : ''}${name}`;
    if (child.toLowerCase().startsWith('iam')) continue;
    const isMacDir = /network\/interfaces\/macs$/i.test(path.replace(/\/$/, ''));
    if (dir || isMacDir) {
      tree[name] = await metadataTree(md, `${child}/`, signal);
    } else {
      tree[name] = (await md.tryGet(child, signal).catch(() => undefined)) ?? null;
    }
  }
  return tree;
}
