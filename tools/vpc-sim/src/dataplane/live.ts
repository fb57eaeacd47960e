/**
 * The dataplane the server drives while the sim runs (see build.ts for the
 * layout). Attaching an ENI creates a veth straight into the node, named as
 * the kernel names a new NIC (the lowest free `ethN`), with the ENI's MAC;
 * its peer is a router port `eSEQ`. An assigned address is routed to the
 * port; unassigning withdraws the route and the neighbour. IPv6 on-link
 * neighbours are answered by proxy NDP entries on the subnet's other ports.
 * With `sourceCheck`, every change of ports or IPv4 addresses rewrites the
 * router's source check (source-check.ts); with `enforceSecurityGroups`,
 * every change of ports, IPv4 addresses, group rules or an ENI's groups
 * rewrites the router's security-group rules (security-groups.ts).
 *
 * A real NIC moved into a namespace that is then deleted returns to its
 * VM; a veth would just be destroyed. So the dataplane watches the router's
 * ports and reports one that vanished without being unplugged (see
 * `deviceLost` in cloud/eni.ts, which plugs it again).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Dataplane } from '../cloud/cloud.ts';
import type { Eni, Instance, SecurityGroup, Subnet } from '../cloud/types.ts';
import { killProcessesIn } from '../lifecycle/processes.ts';
import { run } from '../util/run.ts';
import { portRouteLines, portUpLines } from './build.ts';
import { ipBatch, links } from './ip.ts';
import { applySecurityGroups } from './security-groups.ts';
import { applySourceCheck } from './source-check.ts';

export interface DataplaneView {
  subnet(id: string): Subnet | undefined;
  /** ENIs that currently have a router port. */
  pluggedEnis(): Eni[];
  /** Every ENI (a source group's members, attached or not). */
  enis(): Eni[];
  securityGroups(): SecurityGroup[];
}

/** Which filters the router applies (the config's `sourceCheck` and `enforceSecurityGroups`). */
export interface RouterChecks {
  sourceCheck: boolean;
  securityGroups: boolean;
}

export class LiveDataplane implements Dataplane {
  /** Ports being removed on purpose: their deletion is not a loss. */
  private readonly removing = new Set<string>();
  private monitor?: ChildProcess;

  constructor(
    private readonly router: string,
    private readonly view: DataplaneView,
    private readonly checks: RouterChecks,
  ) {}

  /** Call `onLost(port)` when a router port disappears that the sim did not remove. */
  watch(onLost: (port: string) => void): void {
    this.monitor = spawn('ip', ['-n', this.router, '-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
    createInterface({ input: this.monitor.stdout! }).on('line', (line) => {
      const port = /^Deleted \d+: (e\d+)[@:]/.exec(line)?.[1];
      if (!port) return;
      if (this.removing.delete(port)) return;
      onLost(port);
    });
  }

  stop(): void {
    this.monitor?.kill();
  }

  private async removePorts(ports: string[], extra: string[] = []): Promise<void> {
    const present = new Set((await links(this.router)).map((l) => l.ifname));
    for (const p of ports) if (present.has(p)) this.removing.add(p);
    await ipBatch([...ports.map((p) => `link del ${p}`), ...extra], this.router, { force: true });
  }

  /** Rewrite the source check and the security groups from the plugged ENIs, leaving out one whose port is going away. */
  private async rewriteFilters(without?: Eni): Promise<void> {
    const plugged = this.view.pluggedEnis().filter((e) => e !== without);
    if (this.checks.sourceCheck) await applySourceCheck(this.router, plugged);
    await this.checkGroups(without);
  }

  private async checkGroups(without?: Eni): Promise<void> {
    if (!this.checks.securityGroups) return;
    const plugged = this.view.pluggedEnis().filter((e) => e !== without);
    await applySecurityGroups(this.router, plugged, this.view.securityGroups(), this.view.enis());
  }

  /** A group's rules, an ENI's groups or an unattached ENI's addresses changed. */
  async securityGroupsChanged(): Promise<void> {
    await this.checkGroups();
  }

  private peers(eni: Eni): Eni[] {
    return this.view.pluggedEnis().filter((e) => e.id !== eni.id && e.subnetId === eni.subnetId && e.port);
  }

  async plug(eni: Eni, instance: Instance): Promise<string> {
    const port = eni.port!;
    await this.removePorts([port]);
    // The check first: the port's first packet already meets it.
    await this.rewriteFilters();
    await ipBatch([`link add name eth%d netns ${instance.netns} address ${eni.mac} mtu 1500 type veth peer name ${port}`, ...portUpLines(port)], this.router);
    const subnet = this.view.subnet(eni.subnetId);
    const proxies = [subnet?.gatewayV6, ...this.peers(eni).flatMap((p) => p.ipv6s)].filter((a): a is string => !!a);
    await ipBatch(
      proxies.map((a) => `neigh replace proxy ${a} dev ${port}`),
      this.router,
      { force: true },
    );
    const device = (await links(instance.netns)).find((l) => l.address === eni.mac);
    return device?.ifname ?? '';
  }

  async unplug(eni: Eni): Promise<void> {
    const proxies = this.peers(eni).flatMap((peer) => eni.ipv6s.map((a) => `neigh del proxy ${a} dev ${peer.port}`));
    await this.removePorts([eni.port!], proxies);
    await this.rewriteFilters(eni);
  }

  async route(eni: Eni, ips: string[]): Promise<void> {
    await ipBatch(portRouteLines(eni, eni.port!, ips), this.router);
    const v6 = ips.filter((a) => a.includes(':'));
    const lines = this.peers(eni).flatMap((p) => v6.map((a) => `neigh replace proxy ${a} dev ${p.port}`));
    await ipBatch(lines, this.router, { force: true });
    if (v6.length < ips.length) await this.rewriteFilters();
  }

  async unroute(eni: Eni, ips: string[]): Promise<void> {
    const lines = ips.flatMap((ip) => [`route del ${ip}/${ip.includes(':') ? 128 : 32} dev ${eni.port}`, `neigh del ${ip} dev ${eni.port}`]);
    for (const peer of this.peers(eni)) lines.push(...ips.filter((a) => a.includes(':')).map((a) => `neigh del proxy ${a} dev ${peer.port}`));
    await ipBatch(lines, this.router, { force: true });
    if (ips.some((a) => !a.includes(':'))) await this.rewriteFilters();
  }

  async removeNode(instance: Instance): Promise<void> {
    await killProcessesIn([instance.netns]);
    await run('ip', ['netns', 'del', instance.netns]);
  }
}
