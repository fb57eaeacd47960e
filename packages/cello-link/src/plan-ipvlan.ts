/**
 * The ipvlan datapath (upstream Cello's, pkg/cni/driver/ipvlan.go). Pod: an
 * ipvlan L2 slave of the ENI with the ENI's MTU, the pod IP with its subnet
 * prefix, default via the ENI gateway, routes to the node's addresses through
 * itself with a permanent neighbour for each (ARP suppression: every slave
 * shares the ENI's MAC). Host fast path: the NOARP `ipvl_<ifindex>` slave with
 * the node's addresses, main-table pod routes, and the ENI-egress rules.
 */
import type { EgressRule, Expect } from './objects.ts';
import { ifbName, ipvlanHostName } from './names.ts';
import { hostCidr, ofFamily } from '@cello/records';
import { type Plan, podIps, subnetAddressing } from './plan.ts';
import { shaping } from './shaping.ts';
import type { LinkAllocation, SetupOptions } from './types.ts';

export interface IpvlanFacts {
  eniDevice: string;
  eniIfindex: number;
  eniMtu: number;
  /** The host slave `ipvl_<ifindex>` exists already (then its egress rules are only checked). */
  hostSlaveExists: boolean;
  hostIps: string[];
  /** The device of the host's default route: where host-sourced packets leaving the ENI are sent. */
  hostLink: string;
}

/**
 * The host fast path of one ENI: slave, node addresses, ENI-egress rules.
 * eni-up always (re)writes the egress rules; setup only when it makes the
 * slave, and otherwise leaves them to check.
 */
export function ipvlanHostPath(f: IpvlanFacts, redirectToHostCidrs: readonly string[] = [], writeEgressRules = !f.hostSlaveExists): Expect[] {
  const slave = ipvlanHostName(f.eniIfindex);
  const rules: EgressRule[] = [
    ...f.hostIps.map((ip) => ({ match: 'src' as const, cidr: hostCidr(ip), redirectTo: f.hostLink })),
    ...redirectToHostCidrs.map((cidr) => ({ match: 'dst' as const, cidr, ingressTo: slave })),
  ];
  const egress: Expect = { kind: 'egress-rules', dev: f.eniDevice, rules };
  return [
    { kind: 'ipvlan', name: slave, parent: f.eniDevice, mtu: f.eniMtu, noarp: true, exists: f.hostSlaveExists },
    ...f.hostIps.map((ip): Expect => ({ kind: 'addr', dev: slave, cidr: hostCidr(ip) })),
    writeEgressRules ? egress : { ...egress, checkOnly: true, hint: 'run `cello-link eni-up --datapath ipvlan`' },
  ];
}

export function ipvlanPlan(a: LinkAllocation, opts: SetupOptions, f: IpvlanFacts): Plan {
  const slave = ipvlanHostName(f.eniIfindex);
  const mtu = f.eniMtu;
  const host: Expect[] = [
    { kind: 'link', name: f.eniDevice },
    ...ipvlanHostPath(f, opts.redirectToHostCidrs),
    { kind: 'ipvlan', name: a.ifname, parent: f.eniDevice, mtu, netns: a.netns },
  ];
  const pod: Expect[] = [
    { kind: 'link', name: a.ifname, mtu, type: 'ipvlan' },
    { kind: 'sysctl', key: `net/ipv4/conf/${a.ifname}/arp_notify`, value: '1' },
  ];
  const result: Plan['result'] = {
    datapath: 'ipvlan',
    netns: a.netns,
    podInterface: { name: a.ifname, mac: a.eni.mac, mtu },
    ips: [],
    routes: [],
  };
  for (const { ip, v6 } of podIps(a)) {
    const addressing = subnetAddressing(a.eni, a.ifname, ip, v6);
    host.push({ kind: 'route', dst: hostCidr(ip), dev: slave, scope: 'link' });
    pod.push(...addressing.pod);
    for (const h of ofFamily(f.hostIps, v6)) {
      pod.push({ kind: 'route', dst: hostCidr(h), dev: a.ifname, scope: 'link', src: ip }, { kind: 'neigh', dev: a.ifname, ip: h, mac: a.eni.mac });
    }
    for (const cidr of ofFamily(opts.redirectToHostCidrs ?? [], v6)) {
      pod.push({ kind: 'route', dst: cidr, dev: a.ifname, scope: 'link', src: ip });
    }
    if (v6) pod.push({ kind: 'sysctl', key: `net/ipv6/conf/${a.ifname}/disable_ipv6`, value: '0' });
    result.ips.push(addressing.ip);
    result.routes.push(addressing.route);
  }
  const shaped = shaping(opts.bandwidth, { dev: a.ifname, ifb: ifbName(a.containerId, a.ifname), mtu, hostSide: false });
  pod.push(...shaped.objects);
  if (shaped.ifbInterface) result.ifbInterface = shaped.ifbInterface;
  return { datapath: 'ipvlan', netns: a.netns, host, pod, result };
}
