/**
 * The simulated cloud: resources, address pools, the ENI state machine's
 * timers, the dataplane hooks and what the metadata service may show. The
 * operations themselves live in eni.ts, ips.ts and instances.ts; the OpenAPI
 * layer only parses parameters and renders results.
 */
import type { SimConfig } from '../config.ts';
import { CloudError, eniNotFound, instanceNotFound, subnetNotFound } from './errors.ts';
import { IpPool } from './ip-pool.ts';
import { CredentialStore } from './tokens.ts';
import type { Eni, EniStatus, Instance, InstanceType, Subnet, World } from './types.ts';

/** What the cloud asks of the network: devices for attached ENIs, routes for assigned IPs. */
export interface Dataplane {
  /** Make the ENI's device appear in the instance's node; returns its name there. */
  plug(eni: Eni, instance: Instance): Promise<string>;
  unplug(eni: Eni): Promise<void>;
  /** Route these addresses of the ENI to its device (only called while it has one). */
  route(eni: Eni, ips: string[]): Promise<void>;
  unroute(eni: Eni, ips: string[]): Promise<void>;
  /** The instance is gone: stop what runs in its node and remove the node. */
  removeNode(instance: Instance): Promise<void>;
  /**
   * What security groups admit may have changed without a port or a routed
   * address changing (rules, an ENI's groups, an unattached ENI's addresses).
   */
  securityGroupsChanged?(): Promise<void>;
}

export const NO_DATAPLANE: Dataplane = {
  plug: async () => '',
  unplug: async () => {},
  route: async () => {},
  unroute: async () => {},
  removeNode: async () => {},
};

/**
 * When something became visible to the metadata service and when it stopped.
 * `r` (in [0, 1)) spreads its lag: metadataLagMs × (1 + metadataLagJitter × r),
 * so items show up (and go away) at different times, as on a real instance.
 */
interface Visibility {
  from: number;
  until?: number;
  r: number;
}
export interface MetaAttachment extends Visibility {
  eni: Eni;
  instanceId: string;
}
export interface MetaIp extends Visibility {
  eniId: string;
  ip: string;
}

export interface Transition {
  at: string;
  eniId: string;
  from: EniStatus | 'none';
  to: EniStatus | 'deleted';
}

export class Cloud {
  readonly enis = new Map<string, Eni>();
  readonly instances = new Map<string, Instance>();
  readonly subnets = new Map<string, Subnet>();
  readonly pools = new Map<string, { v4: IpPool; v6?: IpPool }>();
  readonly credentials: CredentialStore;
  readonly timers = new Map<string, NodeJS.Timeout>();
  readonly transitions: Transition[] = [];
  metaAttachments: MetaAttachment[] = [];
  metaIps: MetaIp[] = [];
  metadataLagMs: number;
  private dataplaneQueue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly world: World,
    readonly config: SimConfig,
    readonly dataplane: Dataplane = NO_DATAPLANE,
    /** Where a delayed step's failure is reported (no API call is waiting for it any more). */
    private readonly onBackgroundError: (what: string, err: unknown) => void = () => {},
  ) {
    this.metadataLagMs = config.metadataLagMs;
    this.credentials = new CredentialStore(world.owner, config.stsLifetimeSec);
    for (const s of world.subnets) {
      this.subnets.set(s.id, s);
      this.pools.set(s.id, { v4: new IpPool(s.cidr), ...(s.cidrV6 ? { v6: new IpPool(s.cidrV6) } : {}) });
    }
    for (const i of world.instances) this.instances.set(i.id, i);
    for (const e of world.enis) {
      this.enis.set(e.id, e);
      const pool = this.pools.get(e.subnetId)!;
      for (const ip of [e.primaryIp, ...e.secondaryIps]) pool.v4.take(ip);
      for (const ip of e.ipv6s) pool.v6?.take(ip);
      if (e.instanceId && (e.status === 'InUse' || e.status === 'Detaching')) {
        this.metaAttachments.push({ eni: e, instanceId: e.instanceId, from: 0, r: 0 });
        for (const ip of e.secondaryIps) this.metaIps.push({ eniId: e.id, ip, from: 0, r: 0 });
      }
    }
  }

  // ---- lookups -------------------------------------------------------------

  eni(id: string): Eni {
    const e = this.enis.get(id);
    if (!e) throw eniNotFound(id);
    return e;
  }

  instance(id: string): Instance {
    const i = this.instances.get(id);
    if (!i) throw instanceNotFound(id);
    return i;
  }

  /** An instance by id or by node name. */
  findInstance(idOrNode: string): Instance | undefined {
    return this.instances.get(idOrNode) ?? [...this.instances.values()].find((i) => i.node === idOrNode);
  }

  subnet(id: string): Subnet {
    const s = this.subnets.get(id);
    if (!s) throw subnetNotFound(id);
    return s;
  }

  instanceType(id: string): InstanceType {
    const t = this.world.instanceTypes.find((x) => x.id === id);
    if (!t) throw new CloudError('InternalError', `instance type ${id} is not defined`);
    return t;
  }

  /** ENIs in creation order. */
  listEnis(): Eni[] {
    return [...this.enis.values()].sort((a, b) => a.seq - b.seq);
  }

  /** ENIs attached to (or attaching to, or detaching from) the instance, primary first. */
  enisOf(instanceId: string): Eni[] {
    return this.listEnis().filter((e) => e.instanceId === instanceId);
  }

  /** The instance one of whose ENIs holds `ip` (how the metadata service knows its caller). */
  instanceByIp(ip: string): Instance | undefined {
    const bare = ip.replace(/^::ffff:/, '');
    for (const e of this.enis.values()) {
      if (e.instanceId && (e.primaryIp === bare || e.secondaryIps.includes(bare) || e.ipv6s.includes(bare))) {
        return this.instances.get(e.instanceId);
      }
    }
    return undefined;
  }

  // ---- state changes -------------------------------------------------------

  setStatus(eni: Eni, to: EniStatus): void {
    this.transitions.push({ at: new Date().toISOString(), eniId: eni.id, from: eni.status, to });
    if (this.transitions.length > 5000) this.transitions.splice(0, 1000);
    eni.status = to;
    this.touch(eni);
  }

  recordCreated(eni: Eni): void {
    this.transitions.push({ at: new Date().toISOString(), eniId: eni.id, from: 'none', to: eni.status });
  }

  recordDeleted(eni: Eni): void {
    this.transitions.push({ at: new Date().toISOString(), eniId: eni.id, from: eni.status, to: 'deleted' });
  }

  touch(eni: Eni): void {
    eni.updatedAt = Math.max(Date.now(), eni.updatedAt);
  }

  nextSeq(): number {
    return this.world.nextSeq++;
  }

  /**
   * Run `fn` after the configured delay of `kind` (at once when it is 0).
   * The returned promise settles when `fn` has run; only one step per ENI is pending at a time.
   */
  later(eni: Eni, kind: keyof SimConfig['delaysMs'], fn: () => Promise<void>): Promise<void> {
    const ms = this.config.delaysMs[kind];
    if (ms === 0) return fn();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(eni.id);
        fn().then(resolve, (err) => {
          this.onBackgroundError(`${kind} of ${eni.id}`, err);
          resolve();
        });
      }, ms);
      this.timers.set(eni.id, t);
    });
  }

  cancelPending(eniId: string): void {
    const t = this.timers.get(eniId);
    if (t) clearTimeout(t);
    this.timers.delete(eniId);
  }

  /** Tell the dataplane that what security groups admit may have changed. */
  securityGroupsChanged(): Promise<void> {
    return this.network(async (dp) => {
      await dp.securityGroupsChanged?.();
    });
  }

  /** Dataplane calls run one at a time, in the order the cloud made them. */
  network<T>(fn: (dp: Dataplane) => Promise<T>): Promise<T> {
    const next = this.dataplaneQueue.then(() => fn(this.dataplane));
    this.dataplaneQueue = next.catch(() => undefined);
    return next;
  }

  // ---- what the metadata service may show ---------------------------------

  /** The lag of one item (0 when metadataLagMs is 0). */
  lagOf(v: Pick<Visibility, 'r'>): number {
    return Math.round(this.metadataLagMs * (1 + this.config.metadataLagJitter * v.r));
  }

  private visible(v: Visibility, now: number): boolean {
    const lag = this.lagOf(v);
    return v.from + lag <= now && (v.until === undefined || v.until + lag > now);
  }

  metaShowAttach(eni: Eni, instanceId: string): void {
    this.metaAttachments.push({ eni, instanceId, from: Date.now(), r: Math.random() });
    for (const ip of eni.secondaryIps) this.metaShowIp(eni.id, ip);
  }

  metaHideAttach(eni: Eni): void {
    const now = Date.now();
    for (const a of this.metaAttachments) if (a.eni.id === eni.id && a.until === undefined) a.until = now;
    for (const m of this.metaIps) if (m.eniId === eni.id && m.until === undefined) m.until = now;
  }

  metaShowIp(eniId: string, ip: string): void {
    this.metaIps.push({ eniId, ip, from: Date.now(), r: Math.random() });
  }

  metaHideIp(eniId: string, ip: string): void {
    for (const m of this.metaIps) if (m.eniId === eniId && m.ip === ip && m.until === undefined) m.until = Date.now();
  }

  /** ENIs of the instance the metadata service shows now, each with its visible secondary IPv4s. */
  metadataView(instanceId: string, now = Date.now()): Array<{ eni: Eni; secondaryIps: string[] }> {
    this.pruneMeta(now);
    const out: Array<{ eni: Eni; secondaryIps: string[] }> = [];
    for (const a of this.metaAttachments) {
      if (a.instanceId !== instanceId || !this.visible(a, now)) continue;
      if (out.some((o) => o.eni.id === a.eni.id)) continue;
      const ips = this.metaIps.filter((m) => m.eniId === a.eni.id && this.visible(m, now)).map((m) => m.ip);
      out.push({ eni: a.eni, secondaryIps: [...new Set(ips)] });
    }
    return out.sort((x, y) => x.eni.seq - y.eni.seq);
  }

  private pruneMeta(now: number) {
    const gone = (v: Visibility) => v.until !== undefined && v.until + this.lagOf(v) + 60_000 < now;
    if (this.metaAttachments.some(gone)) this.metaAttachments = this.metaAttachments.filter((v) => !gone(v));
    if (this.metaIps.some(gone)) this.metaIps = this.metaIps.filter((v) => !gone(v));
  }

  /** Stop every pending transition (the server is shutting down). */
  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
