/**
 * One SQLite API for both runtimes: better-sqlite3 under Node (the agent, the
 * operator CLIs, tap) and bun:sqlite under Bun (the compiled cello-cni). Both
 * are synchronous wrappers of the same C library, so a database written by
 * one is the other's: same file format, same WAL, same fcntl locks, same
 * BEGIN IMMEDIATE/EXCLUSIVE semantics. What differs is smoothed over here:
 *
 * - bun:sqlite binds named parameters without their prefix (`{ id }` for
 *   `@id`) only with `strict: true`; better-sqlite3 always does.
 * - bun:sqlite has no `timeout` option: the busy timeout is a PRAGMA.
 * - bun:sqlite has no `pragma()`; `get()` returns null, not undefined, for no row.
 * - Transactions on bun:sqlite are run here (bunTransaction, with
 *   better-sqlite3's semantics), not by its own `transaction()`, which costs
 *   a CNI call ≈ 2 ms on first use.
 *
 * - Under Bun a connection whose object is garbage-collected is closed (and
 *   its locks dropped): keep a reference for as long as a lock or
 *   transaction must live.
 *
 * The driver is loaded on the first open, not at import: a CNI VERSION call,
 * or a DEL on a node with no store, never pays for it.
 */
import { createRequire } from 'node:module';

/** Positional (`?`) parameters as an array, or named ones (`@name`) as an object keyed without the prefix. */
export type SqlParams = Record<string, unknown> | readonly unknown[];

/** What a write statement changed (node:sqlite's StatementResultingChanges, Bun's Changes). */
export interface StatementChanges {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface SqliteStatement {
  /** The first row, or undefined. */
  get(params?: SqlParams): unknown;
  all(params?: SqlParams): unknown[];
  run(params?: SqlParams): StatementChanges;
}

/** `fn` wrapped in a transaction: calling it runs BEGIN (deferred); `.immediate()` etc. pick the kind. Nested calls use savepoints. */
export interface SqliteTransaction<A extends unknown[], R> {
  (...args: A): R;
  deferred(...args: A): R;
  immediate(...args: A): R;
  exclusive(...args: A): R;
}

export interface SqliteDb {
  /** The file it opened. */
  readonly path: string;
  /** Which driver: 'bun:sqlite' or 'better-sqlite3'. */
  readonly driver: SqliteDriver;
  prepare(sql: string): SqliteStatement;
  /** Run one or more statements, no parameters, no result. */
  exec(sql: string): void;
  /** `PRAGMA <text>`; the first column of the first row (undefined when it returns none). */
  pragma(text: string): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): SqliteTransaction<A, R>;
  close(): void;
}

export type SqliteDriver = 'bun:sqlite' | 'better-sqlite3';

export interface SqliteOpenOptions {
  /** How long a writer waits for the write lock before failing with SQLITE_BUSY. */
  busyTimeoutMs: number;
  /** Open an existing file read-only (never creates it). */
  readonly?: boolean;
}

/** True in Bun (and in a `bun build --compile` executable). */
export const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined' || !!process.versions.bun;

/** The driver openSqlite uses in this process. */
export const sqliteDriver: SqliteDriver = isBun ? 'bun:sqlite' : 'better-sqlite3';

// The module names are values, not literals, so neither bundler tries to
// resolve the other runtime's driver: esbuild cannot resolve bun:sqlite, and
// better-sqlite3 (a native addon) must never be pulled into the Bun binary.
const BUN_SQLITE = 'bun:sqlite';
const BETTER_SQLITE3 = 'better-sqlite3';
const load = (name: string): unknown => (typeof require === 'function' ? require : createRequire(import.meta.url))(name);

export function openSqlite(path: string, opts: SqliteOpenOptions): SqliteDb {
  return isBun ? openBun(path, opts) : openNode(path, opts);
}

// ---- better-sqlite3 ----

interface BetterDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  pragma(text: string, opts: { simple: true }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): SqliteTransaction<A, R>;
  close(): unknown;
}
type BetterCtor = new (path: string, opts: { timeout: number; readonly: boolean; fileMustExist: boolean }) => BetterDatabase;
let better: BetterCtor | undefined;

function openNode(path: string, opts: SqliteOpenOptions): SqliteDb {
  better ??= load(BETTER_SQLITE3) as BetterCtor;
  const readonly = opts.readonly ?? false;
  const conn = new better(path, { timeout: opts.busyTimeoutMs, readonly, fileMustExist: readonly });
  return {
    path,
    driver: 'better-sqlite3',
    // better-sqlite3's statements already take (params) and return undefined for no row.
    prepare: (sql) => conn.prepare(sql),
    exec: (sql) => void conn.exec(sql),
    pragma: (text) => conn.pragma(text, { simple: true }),
    transaction: (fn) => conn.transaction(fn),
    close: () => void conn.close(),
  };
}

// ---- bun:sqlite ----

interface BunStatement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): StatementChanges;
  values(...params: unknown[]): unknown[][];
}
interface BunDatabase {
  prepare(sql: string): BunStatement;
  exec(sql: string): unknown;
  readonly inTransaction: boolean;
  close(): unknown;
}
type BunCtor = new (path: string, opts: { strict: true; readonly?: true; readwrite?: true; create?: true }) => BunDatabase;
let bunDatabase: BunCtor | undefined;

const bind = (params: SqlParams | undefined): unknown[] => (params === undefined ? [] : [params]);

function openBun(path: string, opts: SqliteOpenOptions): SqliteDb {
  bunDatabase ??= (load(BUN_SQLITE) as { Database: BunCtor }).Database;
  const conn = new bunDatabase(path, opts.readonly ? { strict: true, readonly: true } : { strict: true, readwrite: true, create: true });
  try {
    conn.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs))}`);
  } catch (err) {
    conn.close();
    throw err;
  }
  return {
    path,
    driver: 'bun:sqlite',
    prepare(sql) {
      const s = conn.prepare(sql);
      return {
        get: (params) => s.get(...bind(params)) ?? undefined,
        all: (params) => s.all(...bind(params)),
        run: (params) => s.run(...bind(params)),
      };
    },
    exec: (sql) => void conn.exec(sql),
    pragma: (text) => conn.prepare(`PRAGMA ${text}`).values()[0]?.[0],
    transaction: (fn) => bunTransaction(conn, fn),
    close: () => void conn.close(),
  };
}

/** The transaction statements a connection has used, prepared once each. */
const transactionStatements = new WeakMap<BunDatabase, Map<string, BunStatement>>();

/**
 * better-sqlite3's transaction semantics on bun:sqlite: BEGIN of the kind
 * asked, COMMIT when `fn` returns, ROLLBACK when it throws (or when COMMIT
 * does); a call inside a transaction is a savepoint, rolled back to on a
 * throw. Not bun:sqlite's own `transaction()`: that one prepares nine
 * statements (BEGIN of each kind, COMMIT, ROLLBACK, three for savepoints) on
 * a connection's first transaction, ≈ 2 ms of a CNI call's CPU; this one
 * prepares the two or three a call runs (docs/cello-cni.md, Start-up).
 */
function bunTransaction<A extends unknown[], R>(conn: BunDatabase, fn: (...args: A) => R): SqliteTransaction<A, R> {
  let prepared = transactionStatements.get(conn);
  if (!prepared) transactionStatements.set(conn, (prepared = new Map()));
  const cache = prepared;
  const step = (sql: string) => {
    let st = cache.get(sql);
    if (!st) cache.set(sql, (st = conn.prepare(sql)));
    st.run();
  };
  const within =
    (begin: string) =>
    (...args: A): R => {
      if (conn.inTransaction) {
        step('SAVEPOINT cello_nested');
        try {
          const result = fn(...args);
          step('RELEASE cello_nested');
          return result;
        } catch (err) {
          step('ROLLBACK TO cello_nested');
          step('RELEASE cello_nested');
          throw err;
        }
      }
      step(begin);
      try {
        const result = fn(...args);
        step('COMMIT');
        return result;
      } catch (err) {
        if (conn.inTransaction) step('ROLLBACK');
        throw err;
      }
    };
  return Object.assign(within('BEGIN'), { deferred: within('BEGIN DEFERRED'), immediate: within('BEGIN IMMEDIATE'), exclusive: within('BEGIN EXCLUSIVE') });
}
