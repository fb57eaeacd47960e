/**
 * The exclusive datapath: the whole ENI moves into the pod as CNI_IFNAME with
 * its primary IP (subnet prefix) and default route via the subnet gateway. A
 * veth pair (named `cel…` on both ends) carries node↔pod traffic: the pod
 * routes the node's addresses through it via the link-local gateway, the host
 * routes the pod IP to it. Teardown moves the ENI back (see teardown.ts).
 */
import type { Expect } from './objects.ts';
import { eui64LinkLocal, hostVethName, ifbName, POD_GATEWAY_V4, vethMacs } from './names.ts';
import { isIPv6 } from './ip.ts';
import { type Plan, podIps, prefixOf } from './plan.ts';
import { shapingObjects } from './shaping.ts';
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
    const gateway = v6 ? a.eni.gatewayV6! : a.eni.gateway;
    const subnet = v6 ? a.eni.subnetCidrV6! : a.eni.subnetCidr;
    const anyDst = v6 ? '::/0' : '0.0.0.0/0';
    const nodeGw = v6 ? gw6 : POD_GATEWAY_V4;
    host.push(
      { kind: 'route', dst: `${ip}/${v6 ? 128 : 32}`, dev: veth, ...(v6 ? {} : { scope: 'link' as const }) },
      { kind: 'neigh', dev: veth, ip, mac: macs.pod },
    );
    pod.push(
      { kind: 'addr', dev: a.ifname, cidr: `${ip}/${prefixOf(subnet)}` },
      { kind: 'route', dst: anyDst, via: gateway, dev: a.ifname },
    );
    if (!v6) pod.push({ kind: 'route', dst: `${nodeGw}/32`, dev: veth, scope: 'link' });
    pod.push({ kind: 'neigh', dev: veth, ip: nodeGw, mac: macs.host });
    const toNode = [
      ...f.hostIps.filter((h) => isIPv6(h) === v6).map((h) => `${h}/${v6 ? 128 : 32}`),
      ...(opts.redirectToHostCidrs ?? []).filter((c) => isIPv6(c.split('/')[0]!) === v6),
    ];
    for (const dst of toNode) pod.push({ kind: 'route', dst, via: nodeGw, dev: veth, src: ip });
    if (v6) pod.push({ kind: 'sysctl', key: `net/ipv6/conf/${a.ifname}/disable_ipv6`, value: '0' });
    result.ips.push({ address: `${ip}/${prefixOf(subnet)}`, gateway });
    result.routes.push({ dst: anyDst, gw: gateway });
  }

  const ifb = ifbName(a.containerId, a.ifname);
  const shaping = shapingObjects(opts.bandwidth, { dev: a.ifname, ifb, mtu: eniMtu ?? 1500, hostSide: false });
  pod.push(...shaping);
  if (shaping.some((o) => o.kind === 'ifb')) result.ifbInterface = { name: ifb };
  return { datapath: 'exclusive', netns: a.netns, host, pod, result };
}
