/**
 * The veth datapath (policy routing, any kernel). Pod: a veth end with the
 * pod IP /32 (/128), default via a link-local gateway whose neighbour entry is
 * permanent. Host: the other end with proxy ARP, `podIP dev <hostveth>`, rules
 * `to podIP lookup main` (512) and `from podIP lookup <ENI table>` (1536). The
 * ENI table itself comes from eni-up.
 *
 * A pod of a PodNetwork is kept behind its network's security groups, also
 * from the other pods of this node: `from podIP lookup <ENI table>` comes
 * first (500, for what comes from its veth: what comes back from the VPC
 * with its source is another pod's of it), so all it sends crosses the VPC, and its to-pod rules take
 * only what arrives through its ENI or comes from the host itself (`iif lo`),
 * so another pod's traffic to it crosses the VPC too.
 */
import type { Expect } from './objects.ts';
import { eui64LinkLocal, hostVethName, ifbName, POD_GATEWAY_V4, PRIO_FROM_NETWORK_POD, PRIO_FROM_POD, PRIO_TO_POD, vethMacs } from './names.ts';
import { hostCidr } from '@cello/records';
import { anyDst, type Plan, podIps } from './plan.ts';
import { LinkError } from './errors.ts';
import { shaping } from './shaping.ts';
import type { LinkAllocation, SetupOptions } from './types.ts';

/** `eniDevice`: the ENI's device now, for a pod of a PodNetwork (its to-pod rules take traffic from there only). */
export function vethPlan(a: LinkAllocation, opts: SetupOptions, facts: { eniDevice?: string } = {}): Plan {
  const hostVeth = hostVethName(a.containerId, a.ifname);
  const macs = vethMacs(a.containerId, a.ifname);
  const gw6 = eui64LinkLocal(macs.host);
  const mtu = opts.mtu ?? a.eni.mtu ?? 1500;
  const table = a.eni.routeTable;
  const eniUpHint = 'run `cello-link eni-up` for this ENI';
  const networkDevice = a.eni.podNetwork ? facts.eniDevice : undefined;
  if (a.eni.podNetwork && !networkDevice) throw new LinkError(`the ENI of podnetwork ${a.eni.podNetwork} (${a.eni.mac}) has no device on this host`, 'host');

  const host: Expect[] = [
    { kind: 'veth', name: hostVeth, mac: macs.host, mtu, peer: { name: a.ifname, mac: macs.pod, netns: a.netns } },
    { kind: 'sysctl', key: `net/ipv4/conf/${hostVeth}/proxy_arp`, value: '1' },
    { kind: 'sysctl', key: 'net/ipv4/ip_forward', value: '1' },
  ];
  const pod: Expect[] = [{ kind: 'link', name: a.ifname, mtu, mac: macs.pod, type: 'veth' }];
  const result: Plan['result'] = {
    datapath: 'veth',
    netns: a.netns,
    hostInterface: { name: hostVeth, mac: macs.host },
    podInterface: { name: a.ifname, mac: macs.pod, mtu },
    ips: [],
    routes: [],
  };

  for (const { ip, v6 } of podIps(a)) {
    const cidr = hostCidr(ip);
    const gw = v6 ? gw6 : POD_GATEWAY_V4;
    host.push(
      { kind: 'route', dst: cidr, dev: hostVeth, ...(v6 ? {} : { scope: 'link' as const }) },
      { kind: 'neigh', dev: hostVeth, ip, mac: macs.pod },
      ...(networkDevice ? [{ kind: 'rule' as const, prio: PRIO_FROM_NETWORK_POD, from: ip, iif: hostVeth, table }] : []),
      ...toPodRules(ip, networkDevice),
      { kind: 'rule', prio: PRIO_FROM_POD, from: ip, table },
      { kind: 'route', dst: anyDst(v6), via: v6 ? a.eni.gatewayV6 : a.eni.gateway, dev: '', table, checkOnly: true, hint: eniUpHint },
    );
    if (v6) {
      host.push(
        { kind: 'sysctl', key: `net/ipv6/conf/${hostVeth}/disable_ipv6`, value: '0' },
        { kind: 'sysctl', key: 'net/ipv6/conf/all/forwarding', value: '1' },
      );
    }
    pod.push({ kind: 'addr', dev: a.ifname, cidr });
    if (!v6) pod.push({ kind: 'route', dst: `${gw}/32`, dev: a.ifname, scope: 'link' });
    pod.push({ kind: 'route', dst: anyDst(v6), via: gw, dev: a.ifname }, { kind: 'neigh', dev: a.ifname, ip: gw, mac: macs.host });
    result.ips.push({ address: cidr, gateway: gw });
    result.routes.push({ dst: anyDst(v6), gw });
  }

  const shaped = shaping(opts.bandwidth, { dev: hostVeth, ifb: ifbName(a.containerId, a.ifname), mtu, hostSide: true });
  host.push(...shaped.objects);
  if (shaped.ifbInterface) result.ifbInterface = shaped.ifbInterface;
  return { datapath: 'veth', netns: a.netns, host, pod, result };
}

/** The to-pod rule: for anyone, or, for a pod of a PodNetwork (`eniDevice`), only from its ENI and the host. */
function toPodRules(ip: string, eniDevice: string | undefined): Expect[] {
  if (!eniDevice) return [{ kind: 'rule', prio: PRIO_TO_POD, to: ip, table: 'main' }];
  return [
    { kind: 'rule', prio: PRIO_TO_POD, to: ip, table: 'main', iif: 'lo' },
    { kind: 'rule', prio: PRIO_TO_POD, to: ip, table: 'main', iif: eniDevice },
  ];
}
