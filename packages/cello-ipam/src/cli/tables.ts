/** How each record looks as a table on a terminal (JSON output carries every field). */
import type { Column } from '@cello/cli-kit';
import type { PodNetworkRecord } from '@cello/records';
import type { FixedIp } from '../fixed-ips.ts';
import type { PodNetworkDecision } from '../pod-networks.ts';
import type { Allocation, Demand, EniRecord, EniStats, Inconsistency, IpRecord, StateCounts, SurplusEni } from '../types.ts';

/** Container ids are 64 hex characters; 12 identify one on a node, as docker and crictl show them. */
const short = (id: string | undefined) => id?.slice(0, 12);
const pod = (ns?: string, name?: string) => (name ? `${ns}/${name}` : undefined);

export const eniColumns: Column<EniRecord>[] = [
  { header: 'ENI', value: (e) => e.id },
  { header: 'MAC', value: (e) => e.mac },
  { header: 'DEVICE', value: (e) => e.device },
  { header: 'MODE', value: (e) => e.mode },
  { header: 'SUBNET', value: (e) => [e.subnetCidr, e.subnetCidrV6].filter(Boolean) },
  { header: 'GATEWAY', value: (e) => [e.gateway, e.gatewayV6].filter(Boolean) },
  { header: 'PRIMARY', value: (e) => e.primaryIp },
  { header: 'TABLE', value: (e) => e.routeTable },
  { header: 'POD NETWORK', value: (e) => e.podNetwork ?? 'default' },
];

export const ipColumns: Column<IpRecord>[] = [
  { header: 'IP', value: (r) => r.ip },
  { header: 'ENI', value: (r) => r.eniId },
  { header: 'STATE', value: (r) => (r.state === 'cooling' ? `cooling until ${r.coolingUntil}` : r.state) },
  { header: 'PRIMARY', value: (r) => (r.primary ? 'yes' : '') },
  { header: 'CONTAINER', value: (r) => r.owner && `${short(r.owner.containerId)}/${r.owner.ifname}` },
  { header: 'POD', value: (r) => (r.owner ? pod(r.owner.podNamespace, r.owner.podName) : r.lastPod && `(last: ${r.lastPod})`) },
];

export const allocationColumns: Column<Allocation>[] = [
  { header: 'CONTAINER', value: (a) => short(a.containerId) },
  { header: 'IFNAME', value: (a) => a.ifname },
  { header: 'NETWORK', value: (a) => a.network },
  { header: 'POD', value: (a) => pod(a.podNamespace, a.podName) },
  { header: 'IPV4', value: (a) => a.ipv4 },
  { header: 'IPV6', value: (a) => a.ipv6 },
  { header: 'ENI', value: (a) => (a.eni ? `${a.eni.id} (${a.mode})` : '(forgotten)') },
  { header: 'POD NETWORK', value: (a) => a.podNetwork ?? 'default' },
  { header: 'NETNS', value: (a) => a.netns },
  { header: 'SINCE', value: (a) => a.allocatedAt },
];

const counts = (c: StateCounts) => (c.total ? `${c.free}/${c.used}/${c.cooling}/${c.releasing}` : '');

export const statsColumns: Column<EniStats>[] = [
  { header: 'ENI', value: (e) => e.id },
  { header: 'MODE', value: (e) => (e.releasing ? `${e.mode} (releasing)` : e.mode) },
  { header: 'TABLE', value: (e) => e.routeTable || undefined },
  { header: 'IPV4 FREE/USED/COOL/REL', value: (e) => counts(e.ipv4) },
  { header: 'IPV6 FREE/USED/COOL/REL', value: (e) => counts(e.ipv6) },
  { header: 'AVAILABLE', value: (e) => e.available },
  { header: 'POD NETWORK', value: (e) => e.podNetwork ?? 'default' },
];

export const surplusColumns: Column<SurplusEni>[] = [
  { header: 'ENI', value: (e) => e.id },
  { header: 'WHOLE', value: (e) => (e.whole ? 'yes' : '') },
  { header: 'IPS', value: (e) => e.ips },
  { header: 'IPV6S', value: (e) => e.ipv6s },
];

export const demandColumns: Column<Demand>[] = [
  { header: 'CONTAINER', value: (d) => `${short(d.containerId)}/${d.ifname}` },
  { header: 'POD', value: (d) => pod(d.podNamespace, d.podName) },
  { header: 'WANTS', value: (d) => `${d.mode} ${d.ipFamily}${d.podNetwork ? ` of ${d.podNetwork}` : ''}` },
  { header: 'SINCE', value: (d) => d.createdAt },
];

export const decisionColumns: Column<PodNetworkDecision>[] = [
  { header: 'POD', value: (d) => pod(d.podNamespace, d.podName) },
  { header: 'UID', value: (d) => d.podUid },
  { header: 'POD NETWORK', value: (d) => d.network || 'default' },
  { header: 'WHY', value: (d) => d.reason },
  { header: 'DECIDED', value: (d) => new Date(d.decidedAt).toISOString() },
];

export const fixedIpColumns: Column<FixedIp>[] = [
  { header: 'POD', value: (f) => pod(f.podNamespace, f.podName) },
  { header: 'POD NETWORK', value: (f) => f.podNetwork },
  { header: 'IP', value: (f) => f.ip },
  { header: 'STATE', value: (f) => f.state },
  { header: 'ENI', value: (f) => f.eniId ?? (f.fromEni ? `(on ${f.fromEni})` : '') },
  { header: 'IN USE', value: (f) => (f.inUse ? 'yes' : 'no') },
  { header: 'SINCE', value: (f) => new Date(f.since).toISOString() },
];

export const podNetworkColumns: Column<PodNetworkRecord>[] = [
  { header: 'POD NETWORK', value: (n) => n.name },
  { header: 'MODE', value: (n) => n.spec.mode },
  { header: 'SUBNETS', value: (n) => [...(n.spec.subnets.ids ?? []), ...Object.entries(n.spec.subnets.tags ?? {}).map(([k, v]) => `tag ${k}=${v}`)] },
  { header: 'SECURITY GROUPS', value: (n) => n.spec.securityGroupIds },
  {
    header: 'ALLOCATION',
    value: (n) =>
      n.spec.allocation.type === 'Fixed'
        ? `Fixed (release after ${n.spec.allocation.releaseAfterSec ?? 'never'}${n.spec.allocation.releaseAfterSec === null ? '' : ' s'})`
        : 'Elastic',
  },
];

export const findingColumns: Column<Inconsistency>[] = [
  { header: 'KIND', value: (f) => f.kind },
  { header: 'FINDING', value: (f) => f.message },
];
