/**
 * @cello/cello-ipam: allocation state on disk, shared by every process on the
 * node. cello-cni (ADD/DEL/GC/STATUS), cello-eni (the pool keeper) and
 * cello-gc import this; bin/cello-ipam is a thin CLI over the same calls.
 * Nothing here loads yargs, so the CNI hot path stays lean.
 */

export { DB_FILE, DEFAULT_STATE_DIR, type OpenOptions } from './db.ts';
export { ConflictError, NoFreeIpError, StoreError } from './errors.ts';

export { FIRST_ROUTE_TABLE } from './import.ts';
export { LATEST_VERSION, type Migration, MIGRATIONS } from './schema.ts';
export type { PodNetworkDecision } from './pod-networks.ts';
export type { FixedIp, FixedIpClaim, FixedIpState } from './fixed-ips.ts';
export { IpamStore, openStore, withStore } from './store.ts';

export type {
  Allocation,
  AllocationKey,
  EniMode,
  EniRecord,
  ImportEni,
  SurplusDoc,
  SurplusEni,
  IpState,
  ImportResult,
  AllocRequest,
  IpRecord,
  StateCounts,
  EniStats,
  Stats,
} from './types.ts';
/** @cello/records' parts cello-eni uses, until cello-eni lists @cello/records among its dependencies. */
