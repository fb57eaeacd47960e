/** How each record looks as a table on a terminal (JSON output carries every field). */
import type { Column } from '@cello/cli-kit';
import type { SurplusEni } from '@cello/cello-ipam';
import type { SubnetStatus } from '../lifecycle/subnets.ts';
import type { MetadataTree } from '../metadata/instance.ts';
import type { EniView } from '../view/list.ts';

export const eniColumns: Column<EniView>[] = [
  { header: 'ENI', value: (e) => e.id },
  { header: 'TYPE', value: (e) => (e.cello ? `${e.type} (cello)` : e.type) },
  { header: 'STATUS', value: (e) => e.status },
  { header: 'DEVICE', value: (e) => e.device },
  { header: 'MAC', value: (e) => e.mac },
  { header: 'SUBNET', value: (e) => e.subnetId },
  { header: 'PRIMARY IP', value: (e) => e.primaryIp },
  { header: 'IPS', value: (e) => (e.ipv6s ? `${e.ips}+${e.ipv6s}v6` : e.ips) },
  { header: 'USED', value: (e) => e.ipam?.used },
  { header: 'FREE', value: (e) => e.ipam?.free },
  { header: 'COOLING', value: (e) => e.ipam?.cooling },
  { header: 'RELEASING', value: (e) => e.ipam?.releasing },
  { header: 'SECURITY GROUPS', value: (e) => e.securityGroupIds },
  { header: 'NETWORK', value: (e) => (e.cello ? (e.podNetwork ?? 'default') : undefined) },
];

export const allEniColumns: Column<EniView>[] = [
  { header: 'ENI', value: (e) => e.id },
  { header: 'STATUS', value: (e) => e.status },
  { header: 'FOR INSTANCE', value: (e) => e.createdFor },
  { header: 'ATTACHED TO', value: (e) => e.instanceId },
  { header: 'MAC', value: (e) => e.mac },
  { header: 'SUBNET', value: (e) => e.subnetId },
  { header: 'PRIMARY IP', value: (e) => e.primaryIp },
  { header: 'IPS', value: (e) => (e.ipv6s ? `${e.ips}+${e.ipv6s}v6` : e.ips) },
  { header: 'NETWORK', value: (e) => e.podNetwork ?? 'default' },
];

export const subnetColumns: Column<SubnetStatus>[] = [
  { header: 'SUBNET', value: (s) => s.id },
  { header: 'ZONE', value: (s) => s.subnet?.zoneId },
  { header: 'CIDR', value: (s) => [s.subnet?.cidr, s.subnet?.cidrV6].filter(Boolean) },
  { header: 'FREE IPS', value: (s) => s.subnet?.availableIps },
  { header: 'TOTAL', value: (s) => s.subnet?.totalIps },
  { header: 'USABLE', value: (s) => (s.usable ? 'yes' : `no: ${s.reason}`) },
];

export const surplusColumns: Column<SurplusEni>[] = [
  { header: 'ENI', value: (e) => e.id },
  { header: 'WHOLE', value: (e) => (e.whole ? 'yes' : '') },
  { header: 'IPS', value: (e) => [...e.ips, ...e.ipv6s] },
];

/** The metadata tree as indented text for a terminal. */
export function treeText(tree: MetadataTree, indent = ''): string {
  return Object.entries(tree)
    .map(([k, v]) => {
      if (v && typeof v === 'object') return `${indent}${k}/\n${treeText(v, `${indent}  `)}`;
      const lines = (v ?? '(not served)').split('\n');
      return `${indent}${k}: ${lines.length > 1 ? `\n${lines.map((l) => `${indent}  ${l}`).join('\n')}` : lines[0]}`;
    })
    .join('\n');
}
