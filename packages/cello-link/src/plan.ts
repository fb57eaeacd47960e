/** A setup plan: the objects of each side and the result setup will report. */
import type { Expect } from './objects.ts';
import type { Datapath, EniRecord, LinkResult } from './types.ts';

export interface Plan {
  datapath: Datapath;
  netns: string;
  host: Expect[];
  pod: Expect[];
  result: LinkResult;
}

/** v4 and v6 of an allocation, each with its family. */
export function podIps(a: { ipv4?: string; ipv6?: string }): Array<{ ip: string; v6: boolean }> {
  return [...(a.ipv4 ? [{ ip: a.ipv4, v6: false }] : []), ...(a.ipv6 ? [{ ip: a.ipv6, v6: true }] : [])];
}

/** The default route's destination of a family. */
export const anyDst = (v6: boolean) => (v6 ? '::/0' : '0.0.0.0/0');

/**
 * ipvlan and exclusive: a pod address on its ENI's subnet — the address with
 * the subnet's prefix on `dev` and the default route via the subnet gateway —
 * and how the result reports them.
 */
export function subnetAddressing(eni: EniRecord, dev: string, ip: string, v6: boolean) {
  const subnet = v6 ? eni.subnetCidrV6! : eni.subnetCidr;
  const gateway = v6 ? eni.gatewayV6! : eni.gateway;
  const address = `${ip}/${subnet.split('/')[1]}`;
  return {
    pod: [
      { kind: 'addr', dev, cidr: address },
      { kind: 'route', dst: anyDst(v6), via: gateway, dev },
    ] satisfies Expect[],
    ip: { address, gateway },
    route: { dst: anyDst(v6), gw: gateway },
  };
}
