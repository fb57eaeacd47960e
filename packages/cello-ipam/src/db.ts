/**
 * Opening the SQLite file the way every process must: private directory and
 * file, WAL, a busy timeout, the schema migrated. Locking is SQLite's own
 * (fcntl locks and the WAL index), which the kernel releases when a process
 * dies, so a SIGKILL at any instruction leaves either the old or the new state.
 */
import { closeSync, constants, fchmodSync, fstatSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { type StatementChanges, type SqliteDb, type SqliteStatement, openSqlite } from '@cello/runtime/sqlite';
import { StoreError } from './errors.ts';
import { type Migration, MIGRATIONS, migrate } from './schema.ts';

export const DEFAULT_STATE_DIR = '/var/lib/cello';
export const DB_FILE = 'ipam.db';
export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

export interface OpenOptions {
  /** Directory of ipam.db (default /var/lib/cello); made 0700 when cello-ipam creates it. */
  stateDir?: string;
  /** How long a writer waits for another one before failing (default 10 s). */
  busyTimeoutMs?: number;
  /** The clock, ms since the epoch (tests move time instead of sleeping). */
  now?: () => number;
  /** Tests only: the migration list to bring the file up to. */
  migrations?: readonly Migration[];
}

type Params = Record<string, unknown> | unknown[];

/**
 * SQLite itself comes from @cello/runtime: better-sqlite3 under Node,
 * bun:sqlite in the compiled cello-cni, loaded on the first open (a CNI
 * VERSION call, or a DEL on a node with no store, never pays for it).
 */

/** A connection with cached prepared statements and the two kinds of transaction we use. */
export class Db {
  private readonly statements = new Map<string, SqliteStatement>();

  constructor(
    readonly conn: SqliteDb,
    readonly path: string,
    readonly now: () => number,
  ) {}

  private stmt(sql: string): SqliteStatement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.conn.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  get<T>(sql: string, params: Params = []): T | undefined {
    return this.stmt(sql).get(params) as T | undefined;
  }

  all<T>(sql: string, params: Params = []): T[] {
    return this.stmt(sql).all(params) as T[];
  }

  run(sql: string, params: Params = []): StatementChanges {
    return this.stmt(sql).run(params);
  }

  /** Every change is one BEGIN IMMEDIATE transaction: the write lock is taken up front, so no deadlock on upgrade. */
  write<T>(fn: () => T): T {
    return this.conn.transaction(fn).immediate();
  }

  /** Several reads that must see one snapshot. */
  read<T>(fn: () => T): T {
    return this.conn.transaction(fn).deferred();
  }

  close(): void {
    this.conn.close();
  }
}

/** Create the directory (0700) and the file (0600) before SQLite does, so neither is ever readable by others. */
function preparePaths(stateDir: string): string {
  // Only directories made here get 0700; an existing one (e.g. a --state-dir of /tmp) is left as it is.
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, DB_FILE);
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
  try {
    // SQLite gives the -wal and -shm files the database file's mode.
    if ((fstatSync(fd).mode & 0o777) !== 0o600) fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
  return path;
}

export function openDb(opts: OpenOptions = {}): Db {
  const stateDir = opts.stateDir ?? DEFAULT_STATE_DIR;
  let path = join(stateDir, DB_FILE);
  let conn: SqliteDb | undefined;
  try {
    path = preparePaths(stateDir);
    conn = openSqlite(path, { busyTimeoutMs: opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
    // WAL: readers never block the writer; one fsync-free commit per change (synchronous=NORMAL,
    // see docs/cello-ipam.md: a power cut may lose the last commits, never consistency).
    if (conn.pragma('journal_mode') !== 'wal') conn.pragma('journal_mode = WAL');
    conn.pragma('synchronous = NORMAL');
    conn.pragma('foreign_keys = ON');
    migrate(conn, opts.migrations ?? MIGRATIONS);
  } catch (err) {
    conn?.close();
    if (err instanceof StoreError) throw err;
    const e = err as NodeJS.ErrnoException;
    const hint = e.code === 'EACCES' || e.code === 'EPERM' ? ' (run as root or pass --state-dir)' : '';
    throw new StoreError(`cannot open ${path}: ${e.message}${hint}`);
  }
  return new Db(conn, path, opts.now ?? Date.now);
}
