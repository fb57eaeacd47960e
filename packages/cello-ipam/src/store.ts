/**
 * The store other packages hold: one open database and every operation on it.
 *
 *   const store = openStore({ stateDir: '/var/lib/cello' });
 *   try { const a = store.allocate({ network, containerId, ifname, podNamespace, podName, netns }); }
 *   finally { store.close(); }
 *
 * or, for one piece of work, `withStore({ stateDir }, (store) => store.stats())`.
 *
 * Methods are synchronous (better-sqlite3); each change is one BEGIN IMMEDIATE
 * transaction, safe against other processes writing the same file.
 */
import { type AllocateOptions, allocate, findAllocation, release } from './allocate.ts';
import { check } from './check.ts';
import { type Db, type OpenOptions, openDb } from './db.ts';
import { addDemand, clearDemands, listDemands } from './demand.ts';
import { advanceFixedIp, claimFixedIp, dropFixedIp, type FixedIp, type FixedIpClaim, type FixedIpState, listFixedIps } from './fixed-ips.ts';
import { forget } from './forget.ts';
import { importEnis } from './import.ts';
import { listAllocations, listEnis, listIps, type StoreLookup, show, stats } from './inspect.ts';
import {
  decidePodNetwork,
  findPodNetworkDecision,
  forgetPodNetworkDecision,
  listPodNetworkDecisions,
  listPodNetworks,
  type PodNetworkDecision,
  podNetworksInUse,
  replacePodNetworks,
} from './pod-networks.ts';
import type { PodNetworkRecord } from '@cello/records';
import { readSettings, writeSettings } from './settings.ts';
import { type SurplusOptions, surplus } from './surplus.ts';
import type {
  AllocRequest,
  Allocation,
  AllocationKey,
  Demand,
  EniRecord,
  Inconsistency,
  ForgetResult,
  ImportDoc,
  ImportResult,
  IpRecord,
  ReleaseResult,
  Settings,
  Stats,
  SurplusDoc,
} from './types.ts';

export class IpamStore {
  constructor(private readonly db: Db) {}

  /** The database file. */
  get path(): string {
    return this.db.path;
  }

  /** Allocate for a CNI triple, or return what it already holds. Throws NoFreeIpError when nothing is free. */
  allocate(req: AllocRequest, opts?: AllocateOptions): Allocation {
    return allocate(this.db, req, opts);
  }

  /** What a CNI triple holds, without changing anything (for CHECK). */
  allocation(key: AllocationKey): Allocation | undefined {
    return findAllocation(this.db, key);
  }

  /** Release a CNI triple's addresses (they cool down first). An unknown triple is a no-op success. */
  release(key: AllocationKey): ReleaseResult {
    return release(this.db, key);
  }

  /** Add ENIs and IPs (additive, idempotent); assigns each new ENI its route table. */
  import(doc: ImportDoc | unknown): ImportResult {
    return importEnis(this.db, doc);
  }

  /** Mark free units beyond `keep` as releasing and return them (plus earlier unfinished ones). */
  surplus(opts: SurplusOptions): SurplusDoc {
    return surplus(this.db, opts);
  }

  /** Drop IPs or whole ENIs the cloud no longer has; IPs a pod still holds come back in `flagged`. */
  forget(doc: SurplusDoc | unknown): ForgetResult {
    return forget(this.db, doc);
  }

  stats(): Stats {
    return stats(this.db);
  }

  enis(): EniRecord[] {
    return listEnis(this.db);
  }

  ips(): IpRecord[] {
    return listIps(this.db);
  }

  allocations(): Allocation[] {
    return listAllocations(this.db);
  }

  /** An IP address or a container id (or its prefix). */
  show(query: string): StoreLookup {
    return show(this.db, query);
  }

  /** Integrity findings; empty when all is well. */
  check(): Inconsistency[] {
    return check(this.db);
  }

  settings(): Settings {
    return readSettings(this.db);
  }

  setSettings(changes: Partial<Record<keyof Settings, unknown>>): Settings {
    return writeSettings(this.db, changes);
  }

  /** Record an ADD that found no IP (allocate's `recordDemand` does this in the same transaction). */
  addDemand(req: AllocRequest): void {
    addDemand(this.db, req);
  }

  demands(): Demand[] {
    return listDemands(this.db);
  }

  /** Clear all demands, or those older than `before`; returns how many. */
  clearDemands(opts?: { before?: Date }): number {
    return clearDemands(this.db, opts);
  }

  /** Replace the PodNetworks this node knows (cello-agent's view); a non-empty list makes ADD wait for its pod's decision. */
  replacePodNetworks(networks: readonly PodNetworkRecord[]): void {
    replacePodNetworks(this.db, networks);
  }

  podNetworks(): PodNetworkRecord[] {
    return listPodNetworks(this.db);
  }

  /** Whether any PodNetwork is known here (then a Kubernetes pod's ADD needs its decision). */
  podNetworksInUse(): boolean {
    return podNetworksInUse(this.db);
  }

  /** Record which network a pod of this node is on ('' the default), replacing an earlier decision for its name. */
  decidePodNetwork(d: Omit<PodNetworkDecision, 'decidedAt'>): void {
    decidePodNetwork(this.db, d);
  }

  podNetworkDecision(podNamespace: string, podName: string): PodNetworkDecision | undefined {
    return findPodNetworkDecision(this.db, podNamespace, podName);
  }

  podNetworkDecisions(): PodNetworkDecision[] {
    return listPodNetworkDecisions(this.db);
  }

  forgetPodNetworkDecision(podNamespace: string, podName: string): void {
    forgetPodNetworkDecision(this.db, podNamespace, podName);
  }

  /** The fixed addresses this node holds or is taking over (fixed-ips.ts). */
  fixedIps(): FixedIp[] {
    return listFixedIps(this.db);
  }

  /** cello-agent: a pod's PodAddress names `ip`; make it this pod's here (`incoming` until the keeper moves it). */
  claimFixedIp(claim: FixedIpClaim): FixedIpState {
    return claimFixedIp(this.db, claim);
  }

  /** Move a pod's fixed address row on (incoming → here → published, published → gone) if it is still in state `from`. */
  advanceFixedIp(podNamespace: string, podName: string, ip: string, from: FixedIpState, to: FixedIpState): boolean {
    return advanceFixedIp(this.db, podNamespace, podName, ip, from, to);
  }

  /** Forget a pod's fixed address here (released, or taken by another node). */
  dropFixedIp(podNamespace: string, podName: string, ip: string): boolean {
    return dropFixedIp(this.db, podNamespace, podName, ip);
  }

  close(): void {
    this.db.close();
  }
}

/** Open (creating and migrating as needed) the store under `stateDir`. */
export function openStore(opts: OpenOptions = {}): IpamStore {
  return new IpamStore(openDb(opts));
}

/** Open the store, run `fn` with it, close it whatever `fn` does; returns what `fn` returns. */
export function withStore<T>(opts: OpenOptions, fn: (store: IpamStore) => T): T {
  const store = openStore(opts);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}
