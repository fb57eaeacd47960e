/**
 * What an older Cello installed for the host and this one only removes.
 *
 * Before cello-cni was one standalone executable, the agent copied Node, its
 * shared libraries, better-sqlite3 and the cello-cni bundle into
 * `/opt/cello/v<hash>/` and wrote a shell wrapper into /opt/cni/bin that ran
 * them. After an upgrade the agent deletes those directories, keeping for one
 * more start the one the replaced wrapper pointed at (a CNI call may still be
 * running from it).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { removeDurably } from './atomic.ts';

/** Remove version directories `v<12 hex>` under `runtimeDir` except `keep`; returns their names. */
export function pruneRuntimes(runtimeDir: string, keep: readonly string[]): string[] {
  const removed: string[] = [];
  for (const name of existsSync(runtimeDir) ? readdirSync(runtimeDir) : []) {
    if (!/^v[0-9a-f]{12}$/.test(name) || keep.includes(name)) continue;
    removeDurably(join(runtimeDir, name));
    removed.push(name);
  }
  return removed;
}
