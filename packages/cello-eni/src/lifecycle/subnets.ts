/**
 * Which configured subnet a new ENI goes into: one in this node's VPC and
 * zone, with the address family the node needs, not held off, with the most
 * free IPs (upstream's rule). A subnet that answered InsufficientIpInSubnet
 * is skipped for subnetHoldOffSec. Describes are cached for
 * subnetStatAgingSec so a burst of creates costs one DescribeSubnets.
 *
 * One configured subnet leaves nothing to choose: an IPv4 pick then returns
 * it without a DescribeSubnets (reads are budget, issue 14). What the
 * describe would have caught the cloud still says, and clearly: a full
 * subnet answers the create InsufficientIpInSubnet (the subnet is held off
 * and the round is blocked by no-subnet, as before), one of another zone or
 * VPC fails the attach and the ENI is rolled back. After any failed create
 * (`createFailed`) the next pick describes again, so a misconfigured subnet
 * is reported with its reason instead of being tried round after round. An
 * IPv6 pick always describes: whether the subnet has an IPv6 CIDR is only
 * known there, and the record needs the CIDR (metadata has no IPv6).
 */
import type { EniContext } from '../context.ts';
import type { CloudSubnet } from '../openapi/api.ts';

export interface SubnetStatus {
  id: string;
  subnet?: CloudSubnet;
  usable: boolean;
  /** Why not, when not usable. */
  reason?: string;
  heldOffUntil?: string;
}

export class NoSubnetError extends Error {
  override readonly name = 'NoSubnetError';
}

export class SubnetPicker {
  private readonly heldOff = new Map<string, number>();
  private cache?: { at: number; key: string; subnets: CloudSubnet[] };
  private inflight?: { key: string; subnets: Promise<CloudSubnet[]> };
  /** A create failed since the last describe: the next pick describes even a lone subnet. */
  private verify = false;

  constructor(private readonly ctx: Pick<EniContext, 'config' | 'identity' | 'api' | 'log'>) {}

  /** The subnet said it is full: skip it for a while, and forget the cached counts. */
  markFull(subnetId: string): void {
    const until = Date.now() + this.ctx.config.subnetHoldOffSec * 1000;
    this.heldOff.set(subnetId, until);
    this.cache = undefined;
    this.ctx.log.warn('subnet has no free IP; holding it off', { subnetId, until: new Date(until).toISOString() });
  }

  /** A create into a subnet picked without a describe failed: the next pick asks the cloud what the subnets are like. */
  createFailed(): void {
    this.verify = true;
  }

  isHeldOff(subnetId: string): boolean {
    const until = this.heldOff.get(subnetId);
    return until !== undefined && until > Date.now();
  }

  /** The describe of the configured subnets, while it is young enough to use. */
  private cached(): CloudSubnet[] | undefined {
    const c = this.cache;
    const young = c && c.key === this.ctx.config.subnets.join(',') && Date.now() - c.at < this.ctx.config.subnetStatAgingSec * 1000;
    return young ? c.subnets : undefined;
  }

  private async describe(fresh: boolean): Promise<CloudSubnet[]> {
    const ids = this.ctx.config.subnets;
    const key = ids.join(',');
    const cached = fresh ? undefined : this.cached();
    if (cached) return cached;
    // Creates running side by side share one describe.
    this.verify = false;
    if (this.inflight?.key !== key) {
      const subnets = this.ctx.api.describeSubnets(ids, this.ctx.identity.vpcId);
      this.inflight = { key, subnets };
      subnets
        .then(
          (list) => (this.cache = { at: Date.now(), key, subnets: list }),
          () => undefined,
        )
        .finally(() => {
          if (this.inflight?.subnets === subnets) this.inflight = undefined;
        });
    }
    return this.inflight.subnets;
  }

  /** A subnet by id: from the cached describe of the configured ones, else asked for alone (an ENI in a legacy subnet). */
  async subnet(id: string): Promise<CloudSubnet | undefined> {
    const cached = (await this.describe(false)).find((s) => s.id === id);
    return cached ?? (await this.ctx.api.describeSubnets([id], this.ctx.identity.vpcId)).find((s) => s.id === id);
  }

  /** Every configured subnet with whether a new ENI may go there and why not. */
  async status(opts: { ipv6?: boolean; fresh?: boolean } = {}): Promise<SubnetStatus[]> {
    const found = await this.describe(opts.fresh ?? false);
    const { vpcId, zone } = this.ctx.identity;
    return this.ctx.config.subnets.map((id): SubnetStatus => {
      const subnet = found.find((s) => s.id === id);
      const no = (reason: string): SubnetStatus => ({ id, ...(subnet ? { subnet } : {}), usable: false, reason });
      if (!subnet) return no('the cloud does not know this subnet');
      if (subnet.vpcId && subnet.vpcId !== vpcId) return no(`in VPC ${subnet.vpcId}, not this node's ${vpcId}`);
      if (subnet.zoneId !== zone) return no(`in zone ${subnet.zoneId}, not this node's ${zone}`);
      if (opts.ipv6 && !subnet.cidrV6) return no('has no IPv6 CIDR');
      const until = this.heldOff.get(id);
      if (until !== undefined && until > Date.now()) {
        return { ...no('answered InsufficientIpInSubnet recently'), heldOffUntil: new Date(until).toISOString() };
      }
      if (subnet.availableIps <= 0) return no('has no free IP');
      return { id, subnet, usable: true };
    });
  }

  /**
   * The subnet for a new ENI, or NoSubnetError listing why each one is out.
   * A lone IPv4 subnet is returned as it is (only its id is known then); see the header.
   */
  async pick(opts: { ipv6?: boolean } = {}): Promise<Pick<CloudSubnet, 'id'> & Partial<CloudSubnet>> {
    const ids = this.ctx.config.subnets;
    if (ids.length === 1 && !opts.ipv6 && !this.verify && !this.isHeldOff(ids[0]!) && !this.cached()) return { id: ids[0]! };
    const all = await this.status(opts);
    const usable = all.filter((s) => s.usable).map((s) => s.subnet!);
    if (!usable.length) {
      const why = all.map((s) => `${s.id} ${s.reason}`).join('; ');
      throw new NoSubnetError(`no configured subnet can take a new ENI: ${why}`);
    }
    return usable.reduce((best, s) => (s.availableIps > best.availableIps ? s : best));
  }
}
