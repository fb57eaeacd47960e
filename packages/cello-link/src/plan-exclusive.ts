/**
 * The exclusive datapath: the whole ENI moves into the pod as CNI_IFNAME with
 * its primary IP (subnet prefix) and default route via the subnet gateway. A
 * veth pair (named `cel…` on both ends) carries node↔pod traffic: the pod
 * routes the node's addresses through it via the link-local gateway, the host
 * routes the pod IP to it. Teardown moves the ENI back (see teardown.ts).
 */
import type { Expect } from './objects.ts';
import { eui64LinkLocal, hostVethName, ifbName, POD_GATEWAY_V4, vethMacs } from './names.ts';
import { hostCidr, ofFamily } from '@cello/records';
import { type Plan, podIps, subnetAddressing } from './plan.ts';
import { shaping } from './shaping.ts';
import type { LinkAllocation, SetupOptions } from './types.ts';

export interface ExclusiveFacts {
  /** The ENI's current name on the host. */
  eniDevice: string;
  hostIps: string[];
}

export function exclusivePlan(a: LinkAllocation, opts: SetupOptions, f: ExclusiveFacts): Plan {
  const veth = hostVethName(a.containerId, a.ifname);
  const macs = vethMacs(a.containerId, a.ifname);
  const gw6 = eui64LinkLocal(macs.host);
  const vethMtu = opts.mtu ?? a.eni.mtu ?? 1500;
  const eniMtu = opts.mtu ?? a.eni.mtu;

  const host: Expect[] = [
    { kind: 'veth', name: veth, mac: macs.host, mtu: vethMtu, peer: { name: veth, mac: macs.pod, netns: a.netns } },
    { kind: 'move', dev: f.eniDevice, netns: a.netns, name: a.ifname },
  ];
  const pod: Expect[] = [
    { kind: 'link', name: a.ifname, mac: a.eni.mac, ...(eniMtu ? { mtu: eniMtu } : {}) },
    { kind: 'link', name: veth, mac: macs.pod, mtu: vethMtu, type: 'veth' },
  ];
  const result: Plan['result'] = {
    datapath: 'exclusive',
    netns: a.netns,
    hostInterface: { name: veth, mac: macs.host },
    podInterface: { name: a.ifname, mac: a.eni.mac, ...(eniMtu ? { mtu: eniMtu } : {}) },
    ips: [],
    routes: [],
  };

  for (const { ip, v6 } of podIps(a)) {
    const addressing = subnetAddressing(a.eni, a.ifname, ip, v6);
    const nodeGw = v6 ? gw6 : POD_GATEWAY_V4;
    host.push({ kind: 'route', dst: hostCidr(ip), dev: veth, ...(v6 ? {} : { scope: 'link' as const }) }, { kind: 'neigh', dev: veth, ip, mac: macs.pod });
    pod.push(...addressing.pod);
    if (!v6) pod.push({ kind: 'route', dst: `${nodeGw}/32`, dev: veth, scope: 'link' });
    pod.push({ kind: 'neigh', dev: veth, ip: nodeGw, mac: macs.host });
    const toNode = [...ofFamily(f.hostIps, v6).map(hostCidr), ...ofFamily(opts.redirectToHostCidrs ?? [], v6)];
    for (const dst of toNode) pod.push({ kind: 'route', dst, via: nodeGw, dev: veth, src: ip });
    if (v6) pod.push({ kind: 'sysctl', key: `net/ipv6/conf/${a.ifname}/disable_ipv6`, value: '0' });
    result.ips.push(addressing.ip);
    result.routes.push(addressing.route);
  }

  const shaped = shaping(opts.bandwidth, { dev: a.ifname, ifb: ifbName(a.containerId, a.ifname), mtu: eniMtu ?? 1500, hostSide: false });
  pod.push(...shaped.objects);
  if (shaped.ifbInterface) result.ifbInterface = shaped.ifbInterface;
  return { datapath: 'exclusive', netns: a.netns, host, pod, result };
}
