/**
 * What installing adds to cli-kit's atomic files (writeFileAtomic: temp file,
 * fsync, rename, fsync of the directory): directories renamed into place,
 * entries removed durably, and the `.cello-tmp-*` leftovers of an
 * interrupted write deleted on the next start. A reader (the kubelet
 * scanning /etc/cni/net.d, containerd executing /opt/cni/bin/cello-cni)
 * sees the old file or the new one, never half of one.
 */
import { readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fsyncPath, TMP_PREFIX } from '@cello/cli-kit';

/** Rename a finished temporary directory into place and make it durable. */
export function renameDirAtomic(tmpDir: string, target: string): void {
  renameSync(tmpDir, target);
  fsyncPath(dirname(target));
}

/** Remove an entry so that it is gone after a crash too. */
export function removeDurably(path: string): void {
  rmSync(path, { recursive: true, force: true });
  fsyncPath(dirname(path));
}

/** Delete what an interrupted write left in `dir` (files or directories named `.cello-tmp-*`). */
export function removeLeftovers(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const left = names.filter((n) => n.startsWith(TMP_PREFIX));
  for (const n of left) rmSync(join(dir, n), { recursive: true, force: true });
  return left;
}
