import { createHash } from 'node:crypto';
import { type Server, connect, createServer } from 'node:net';

/**
 * Node-wide locks held by a process: a Linux abstract unix socket
 * (`\0cello/<name>`). Binding it is exclusive, it names no file, and the
 * kernel releases it when the holder dies — no stale lock survives a crash and
 * no timeout guesses at staleness. Abstract sockets belong to a network
 * namespace; every cello process of a node runs in the host's.
 *
 * Used for: one CNI call at a time per pod, and one pool keeper per node (whose
 * lock also tells cello-cni STATUS that a keeper is running).
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

const socketPath = (name: string) =>
  `\0cello/${name.length <= 80 ? name : createHash('sha1').update(name).digest('hex')}`;

/** Take the lock now, or return undefined if another process holds it. */
export function tryLock(name: string): Promise<NodeLock | undefined> {
  return new Promise((resolve, reject) => {
    const server: Server = createServer((conn) => conn.destroy());
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(undefined) : reject(err)));
    server.listen({ path: socketPath(name), exclusive: true }, () => {
      server.unref();
      resolve({ release: () => server.close() });
    });
  });
}

/** Wait up to `waitMs` for the lock; undefined if it stayed taken. */
export async function waitLock(name: string, waitMs: number): Promise<NodeLock | undefined> {
  const deadline = Date.now() + waitMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    const lock = await tryLock(name);
    if (lock || Date.now() >= deadline) return lock;
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Is some process holding the lock right now? (Connects; never takes it.) */
export function isLocked(name: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ path: socketPath(name) });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}
