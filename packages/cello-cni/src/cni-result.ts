import type { Interface, IpConfig, Result, Route } from '@cello/cni-types';
import type { LinkResult } from '@cello/cello-link';

/**
 * The CNI result of an ADD: interfaces (the host side first, as ptp does, so
 * chained plugins such as bandwidth find the host veth; none on ipvlan), the
 * pod's IPs on the pod interface, routes. A prevResult from an earlier plugin
 * is kept and ours appended after it. Fields left undefined here are dropped
 * when pluginMain prints the result in the config's version (toVersion).
 */
export function cniResult(link: LinkResult, prev?: Result): Result {
  const interfaces: Interface[] = [...(prev?.interfaces ?? [])];
  if (link.hostInterface) interfaces.push({ name: link.hostInterface.name, mac: link.hostInterface.mac });
  const podIndex = interfaces.length;
  interfaces.push({ name: link.podInterface.name, mac: link.podInterface.mac, mtu: link.podInterface.mtu, sandbox: link.netns });
  // The ifb of the shaping is listed as the reference bandwidth plugin lists its own.
  if (link.ifbInterface) interfaces.push({ name: link.ifbInterface.name });
  const ips: IpConfig[] = [...(prev?.ips ?? []), ...link.ips.map((ip) => ({ interface: podIndex, address: ip.address, gateway: ip.gateway }))];
  const routes: Route[] = [...(prev?.routes ?? []), ...link.routes.map((r) => ({ dst: r.dst, gw: r.gw }))];
  return {
    cniVersion: '1.1.0',
    interfaces,
    ips,
    routes,
    ...(prev?.dns ? { dns: prev.dns } : {}),
  };
}
