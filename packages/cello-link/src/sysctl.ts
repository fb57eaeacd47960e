/**
 * Host sysctls through /proc/sys. /proc/sys/net follows the netns of the
 * process, so these land in the namespace cello-link runs in (the host, or a
 * test's node namespace). Pod sysctls are written by `sysctl -w` run inside
 * the pod (run.ts, writePodSysctls); /proc/sys can not reach another namespace.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { LinkError } from './errors.ts';

/** `net/ipv4/conf/eth1/rp_filter` → its path under /proc/sys. */
const path = (key: string) => `/proc/sys/${key}`;

export function writeSysctl(key: string, value: string): void {
  try {
    writeFileSync(path(key), value);
  } catch (err) {
    throw new LinkError(`host: cannot set ${key.replaceAll('/', '.')}=${value}: ${(err as Error).message}`, 'host');
  }
}

export function readSysctl(key: string): string | undefined {
  try {
    return readFileSync(path(key), 'utf8').trim();
  } catch {
    return undefined;
  }
}
