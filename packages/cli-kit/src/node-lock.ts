import { chmodSync, closeSync, constants, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlite, type SqliteDb } from '@cello/runtime/sqlite';
import { sha1Hex } from './sha1.ts';

/**
 * Node-wide locks held by a process: an exclusive SQLite transaction held
 * open on a small file in `<stateDir>/locks/` (docs/architecture.md, Locks).
 *
 * - Only root can take one: the directory is 0700 and each file 0600, both
 *   root's, so no other user can even open the file. (The abstract unix
 *   sockets used before have no permissions: any process on the host network
 *   could bind a pod's name first and stall its DEL, the keeper or gc.)
 * - A dead holder holds nothing: SQLite's locks are fcntl locks, which the
 *   kernel drops when the process dies, whatever it was doing. No timeout
 *   guesses at staleness; a leftover file is harmless.
 * - The same under Node and Bun: both drive the same SQLite library, so a Bun
 *   cello-cni and a Node cello-gc see each other's locks.
 *
 * Used for: one CNI call at a time per pod, one pool keeper per node (whose
 * lock also tells cello-cni STATUS that a keeper is running), one gc sweep.
 */
export interface NodeLock {
  release(): void;
}

/** The lock the pool keeper (cello-eni pool) holds while it runs; cello-gc takes it to act on the cloud alone. */
export const KEEPER_LOCK = 'keeper';

/** The lock every CNI call (ADD/DEL/CHECK) of a pod holds, and cello-gc takes before releasing the pod's IP. */
export function podLockName(p: { podNamespace?: string; podName?: string; containerId: string }): string {
  return p.podName ? `pod/${p.podNamespace ?? ''}/${p.podName}` : `container/${p.containerId}`;
}

/** How long a taker waits out a moment's hold by `isLocked` (which takes the lock for an instant to look). */
const GLANCE_MS = 50;

/** `<stateDir>/locks`, made 0700 (and put back to 0700 if someone widened it). */
function lockDir(stateDir: string): string {
  const dir = join(stateDir, 'locks');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if (st.uid !== process.getuid?.()) throw new Error(`${dir} belongs to uid ${st.uid}, not this process: refusing to keep locks there`);
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  return dir;
}

/** A lock's file: a readable prefix of its name, then a hash (names hold `/`, and two names must never share a file). */
function lockFile(dir: string, name: string): string {
  const readable = name.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 60);
  return join(dir, `${readable}-${sha1Hex(name).slice(0, 16)}.lock`);
}

function create0600(path: string): void {
  closeSync(openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600));
}

const isBusy = (err: unknown) => /SQLITE_BUSY|database is locked/i.test(`${(err as { code?: string }).code ?? ''} ${(err as Error).message}`);

/**
 * BEGIN EXCLUSIVE on the file: the open db when taken, undefined when another
 * process holds it. The rollback journal stays in memory: the transaction
 * never commits, so a journal file would only be created and unlinked again
 * in locks/ on every take (the lock itself is the fcntl lock on the file).
 */
function take(path: string, waitMs: number): SqliteDb | undefined {
  const db = openSqlite(path, { busyTimeoutMs: waitMs });
  try {
    db.exec('PRAGMA journal_mode = MEMORY');
    db.exec('BEGIN EXCLUSIVE');
    return db;
  } catch (err) {
    db.close();
    if (isBusy(err)) return undefined;
    throw err;
  }
}

function held(db: SqliteDb): NodeLock {
  let open = true;
  return {
    release() {
      if (!open) return;
      open = false;
      db.close(); // closing ends the transaction and drops the lock
    },
  };
}

/** Take the lock now, or return undefined if another process holds it. */
export async function tryLock(stateDir: string, name: string): Promise<NodeLock | undefined> {
  const path = lockFile(lockDir(stateDir), name);
  create0600(path);
  const db = take(path, GLANCE_MS);
  return db && held(db);
}

/** Wait up to `waitMs` for the lock; undefined if it stayed taken. */
export async function waitLock(stateDir: string, name: string, waitMs: number): Promise<NodeLock | undefined> {
  const deadline = Date.now() + waitMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    const lock = await tryLock(stateDir, name);
    if (lock || Date.now() >= deadline) return lock;
    await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(0, deadline - Date.now()))));
  }
}

/** Is some process holding the lock right now? (Takes it for an instant when free; never creates anything.) */
export async function isLocked(stateDir: string, name: string): Promise<boolean> {
  const path = lockFile(join(stateDir, 'locks'), name);
  if (!existsSync(path)) return false;
  const db = take(path, 0);
  if (!db) return true;
  db.close();
  return false;
}
