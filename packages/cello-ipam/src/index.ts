/**
 * @cello/cello-ipam: allocation state on disk, shared by every process on the
 * node. cello-cni (ADD/DEL/GC/STATUS), cello-eni (the pool keeper) and
 * cello-gc import this; bin/cello-ipam is a thin CLI over the same calls.
 * Nothing here loads yargs, so the CNI hot path stays lean.
 */
export type { AllocateOptions } from './allocate.ts';
export { DB_FILE, DEFAULT_BUSY_TIMEOUT_MS, DEFAULT_STATE_DIR, type OpenOptions } from './db.ts';
export { ConflictError, NoFreeIpError, type NoFreeIpReason, StoreError } from './errors.ts';
export type { StoreLookup } from './inspect.ts';
export { FIRST_ROUTE_TABLE } from './import.ts';
export { LATEST_VERSION, type Migration, MIGRATIONS } from './schema.ts';
export { IpamStore, openStore } from './store.ts';
export type { SurplusOptions } from './surplus.ts';
export * from './types.ts';
/** @cello/records' parts cello-eni uses, until cello-eni lists @cello/records among its dependencies. */
