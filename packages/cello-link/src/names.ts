/**
 * Every name, MAC and number cello-link puts into the kernel comes from here,
 * derived from the allocation alone, so gc can match kernel objects to
 * allocations with no runtime and setup never has to look anything up.
 */
import { sha1Hex } from '@cello/cli-kit';
import { canonicalIp } from '@cello/records';

/** Route and rule protocol number that marks what cello made (`ip route show proto 207`). */
export const CELLO_PROTO = 207;
/** veth datapath rule priorities (AWS VPC CNI's): to-pod before from-pod. */
export const PRIO_TO_POD = 512;
export const PRIO_FROM_POD = 1536;
/**
 * A pod of a PodNetwork (docs/podnetworks.md): everything it sends leaves through its ENI, before
 * the to-pod rules could deliver it on the host, so its traffic to other pods of this node crosses
 * the VPC and their security groups (and theirs to it: its to-pod rules take only the VPC, through
 * its ENI, and the host itself).
 */
export const PRIO_FROM_NETWORK_POD = 500;
/** The pod's IPv4 gateway on the veth datapaths: link-local, answered by a permanent neighbour. */
export const POD_GATEWAY_V4 = '169.254.1.1';
/** ENI-egress filter priorities of the ipvlan host fast path (upstream's). */
export const PRIO_EGRESS_V4 = 40000;
export const PRIO_EGRESS_V6 = 40001;

export const HOST_VETH_PATTERN = /^cel[0-9a-f]{11}$/;
export const IFB_PATTERN = /^cbw[0-9a-f]{11}$/;
export const IPVLAN_HOST_PATTERN = /^ipvl_\d+$/;

/**
 * The hash every per-pod name comes from. A NUL separates the two inputs:
 * neither can hold one, so no two (containerId, ifname) pairs hash alike, as
 * `abc` + `1eth0` and `abc1` + `eth0` did when they were simply joined.
 */
function digest(containerId: string, ifname: string): string {
  return sha1Hex(`${containerId}\0${ifname}`);
}

/**
 * The host veth and ifb names releases before the separator gave a pod
 * (sha1 of the two inputs joined). gc still counts them as the pod's, so an
 * upgrade never makes a running pod's links look like strays; nothing else
 * uses them (see docs/upgrade.md).
 */
export function legacyLinkNames(containerId: string, ifname: string): string[] {
  const hex = sha1Hex(containerId + ifname).slice(0, 11);
  return [`cel${hex}`, `cbw${hex}`];
}

/** Host side of a pod's veth: `cel` + the first 11 hex digits of sha1(containerId NUL ifname). */
export function hostVethName(containerId: string, ifname: string): string {
  return `cel${digest(containerId, ifname).slice(0, 11)}`;
}

/** The ifb of a pod's shaping (egress on veth, ingress on ipvlan and exclusive): `cbw` + the same 11 hex digits. */
export function ifbName(containerId: string, ifname: string): string {
  return `cbw${digest(containerId, ifname).slice(0, 11)}`;
}

/** The name an exclusive ENI has while teardown moves it back to the host (`cex` + the same 11 hex digits; never taken there). */
export function transitName(containerId: string, ifname: string): string {
  return `cex${digest(containerId, ifname).slice(0, 11)}`;
}

/** Name of the ipvlan host fast-path slave on the ENI with this ifindex. */
export function ipvlanHostName(eniIfindex: number): string {
  return `ipvl_${eniIfindex}`;
}

/**
 * The veth pair's MACs, fixed in advance so the pod's gateway neighbour and the
 * host's pod neighbour can be written without asking the kernel. Locally
 * administered unicast: `ee:` on the host side, `ea:` in the pod, then five
 * bytes of the hash.
 */
export function vethMacs(containerId: string, ifname: string): { host: string; pod: string } {
  const tail = digest(containerId, ifname).slice(12, 22).match(/../g)!.join(':');
  return { host: `ee:${tail}`, pod: `ea:${tail}` };
}

/** The EUI-64 link-local address the kernel gives a device with this MAC (the pod's IPv6 gateway). */
export function eui64LinkLocal(mac: string): string {
  const b = mac.split(':').map((h) => Number.parseInt(h, 16));
  const bytes = [b[0]! ^ 0x02, b[1]!, b[2]!, 0xff, 0xfe, b[3]!, b[4]!, b[5]!];
  const groups = [0, 2, 4, 6].map((i) => ((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return canonicalIp(`fe80::${groups.join(':')}`);
}
