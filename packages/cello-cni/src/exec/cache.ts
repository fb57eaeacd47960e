import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Result } from '@cello/cni-types';

/** libcni's result cache entry (`/var/lib/cni/results/<net>-<id>-<ifname>`). */
export interface CacheEntry {
  kind: 'cniCacheV1';
  containerId: string;
  config: string;
  ifName: string;
  networkName: string;
  netns?: string;
  cniArgs?: Array<[string, string]>;
  capabilityArgs?: Record<string, unknown>;
  result?: Result;
}

const file = (cacheDir: string, net: string, id: string, ifname: string) => join(cacheDir, 'results', `${net}-${id}-${ifname}`);

export function readCache(cacheDir: string, net: string, id: string, ifname: string): CacheEntry | undefined {
  try {
    const value = JSON.parse(readFileSync(file(cacheDir, net, id, ifname), 'utf8')) as CacheEntry & Result;
    // Files that are not cniCacheV1 are a bare result, as libcni reads them.
    return value.kind === 'cniCacheV1'
      ? value
      : ({ kind: 'cniCacheV1', containerId: id, config: '', ifName: ifname, networkName: net, result: value } as CacheEntry);
  } catch {
    return undefined;
  }
}

export function writeCache(cacheDir: string, entry: CacheEntry): void {
  mkdirSync(join(cacheDir, 'results'), { recursive: true, mode: 0o700 });
  writeFileSync(file(cacheDir, entry.networkName, entry.containerId, entry.ifName), JSON.stringify(entry), { mode: 0o600 });
}

export function removeCache(cacheDir: string, net: string, id: string, ifname: string): void {
  rmSync(file(cacheDir, net, id, ifname), { force: true });
}

/** Every cached attachment of a network (what libcni's GC treats as known). */
export function cachedAttachments(cacheDir: string, net: string): CacheEntry[] {
  let names: string[];
  try {
    names = readdirSync(join(cacheDir, 'results'));
  } catch {
    return [];
  }
  const out: CacheEntry[] = [];
  for (const n of names.filter((n) => n.startsWith(`${net}-`))) {
    try {
      const e = JSON.parse(readFileSync(join(cacheDir, 'results', n), 'utf8')) as CacheEntry;
      if (e.kind === 'cniCacheV1' && e.networkName === net) out.push(e);
    } catch {
      // unreadable entries are skipped, as libcni does
    }
  }
  return out;
}
