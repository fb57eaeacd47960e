/**
 * Bandwidth as the reference bandwidth plugin does it: a tbf on the device
 * for traffic leaving it, and for traffic arriving on it an ifb that receives
 * everything through an ingress qdisc + mirred redirect and has a tbf of its
 * own. "Ingress" and "egress" are CNI's, seen from the pod.
 */
import type { Expect } from './objects.ts';
import type { Bandwidth } from './types.ts';

export interface ShapedDevice {
  /** Where the shaping hangs. */
  dev: string;
  ifb: string;
  mtu: number;
  /** True for the host end of a veth (pod-bound traffic leaves it); false for the pod's own device. */
  hostSide: boolean;
}

/** The objects that shape one device, and the ifb the LinkResult names when the shaping uses one. */
export function shaping(bw: Bandwidth | undefined, d: ShapedDevice): { objects: Expect[]; ifbInterface?: { name: string } } {
  if (!bw) return { objects: [] };
  const intoPod = bw.ingressRate ? { rate: bw.ingressRate, burst: bw.ingressBurst! } : undefined;
  const outOfPod = bw.egressRate ? { rate: bw.egressRate, burst: bw.egressBurst! } : undefined;
  const leaving = d.hostSide ? intoPod : outOfPod;
  const arriving = d.hostSide ? outOfPod : intoPod;
  const objects: Expect[] = [];
  if (leaving) objects.push({ kind: 'tbf', dev: d.dev, ...leaving });
  if (!arriving) return { objects };
  objects.push({ kind: 'ifb', name: d.ifb, mtu: d.mtu }, { kind: 'redirect', dev: d.dev, to: d.ifb }, { kind: 'tbf', dev: d.ifb, ...arriving });
  return { objects, ifbInterface: { name: d.ifb } };
}
