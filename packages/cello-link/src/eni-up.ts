/**
 * eni-up: make a host ENI ready for pods. Find the device by MAC, set its MTU
 * and bring it up, loosen rp_filter (off on it and on `all`: VPC traffic for
 * pods arrives on the ENI while the node's default route leaves by the
 * primary NIC), turn on forwarding; then per datapath: veth gets the ENI's
 * route table (subnet route + `default via <gateway> dev <ENI> onlink`),
 * ipvlan gets the host fast path. Every step is a replace: run it twice and
 * nothing changes. An exclusive ENI is only found: it is configured inside
 * its pod, and teardown hands it back down and unaddressed, as found.
 */
import { applyHost } from './apply.ts';
import { chooseDatapath } from './datapath.ts';
import { LinkError } from './errors.ts';
import { hostEniDevice, ipvlanFacts } from './host-facts.ts';
import { type Expect, type Rendered, render } from './objects.ts';
import { ipvlanHostPath } from './plan-ipvlan.ts';
import type { ImportEni } from '@cello/records';
import type { Datapath, EniRecord, EniUpOptions } from './types.ts';
import { checkOptions } from './validate.ts';

/** What eni-up reads: an EniRecord, or an Import document's entry whose routeTable is not assigned yet (only veth needs it). */
export type UpEni = EniRecord | ImportEni;

export interface EniUpResult {
  id: string;
  mac: string;
  device: string;
  ifindex: number;
  mtu: number;
  datapath: Datapath;
  routeTable?: number;
}

export interface EniUpPlan {
  result: EniUpResult;
  objects: Expect[];
}

function tableRoutes(eni: EniRecord, dev: string): Expect[] {
  const routes: Expect[] = [];
  const t = eni.routeTable;
  if (eni.subnetCidr) {
    routes.push(
      { kind: 'route', dst: eni.subnetCidr, dev, table: t, scope: 'link' },
      { kind: 'route', dst: '0.0.0.0/0', via: eni.gateway, dev, table: t, onlink: true },
    );
  }
  if (eni.subnetCidrV6 && eni.gatewayV6) {
    routes.push({ kind: 'route', dst: eni.subnetCidrV6, dev, table: t }, { kind: 'route', dst: '::/0', via: eni.gatewayV6, dev, table: t, onlink: true });
  }
  return routes;
}

export async function planEniUp(eni: UpEni, opts: EniUpOptions = {}): Promise<EniUpPlan> {
  checkOptions(opts);
  const { eni: dev, links } = await hostEniDevice(eni);
  const mtu = eni.mtu ?? dev.mtu;
  const datapath: Datapath = eni.mode === 'exclusive' ? 'exclusive' : await chooseDatapath(opts.datapath);
  const result: EniUpResult = { id: eni.id, mac: eni.mac, device: dev.name, ifindex: dev.ifindex, mtu, datapath };
  // An exclusive ENI is configured inside its pod; on the host it only has to be findable.
  if (datapath === 'exclusive') return { result, objects: [] };
  const objects: Expect[] = [
    { kind: 'link', name: dev.name, ...(eni.mtu ? { mtu: eni.mtu } : {}) },
    { kind: 'sysctl', key: `net/ipv4/conf/${dev.name}/rp_filter`, value: '0' },
    { kind: 'sysctl', key: 'net/ipv4/conf/all/rp_filter', value: '0' },
    { kind: 'sysctl', key: 'net/ipv4/ip_forward', value: '1' },
  ];
  if (eni.subnetCidrV6) objects.push({ kind: 'sysctl', key: 'net/ipv6/conf/all/forwarding', value: '1' });

  if (datapath === 'veth') {
    if (!eni.routeTable) throw new LinkError(`host: ENI ${eni.id} has no routeTable; import it with cello-ipam first`, 'host');
    objects.push(...tableRoutes({ ...eni, routeTable: eni.routeTable }, dev.name));
    result.routeTable = eni.routeTable;
  }
  if (datapath === 'ipvlan') {
    objects.push(...ipvlanHostPath(ipvlanFacts(dev, links, mtu, opts), opts.redirectToHostCidrs, true));
  }
  return { result, objects };
}

/** The commands eni-up would run (for --dry-run). */
export const renderEniUp = (p: EniUpPlan): Rendered => render(p.objects);

export async function eniUp(eni: UpEni, opts: EniUpOptions = {}): Promise<EniUpResult> {
  const plan = await planEniUp(eni, opts);
  await applyHost(plan.objects);
  return plan.result;
}
