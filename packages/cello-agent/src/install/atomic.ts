/**
 * Files that appear whole or not at all: write a temporary file in the same
 * directory, fsync it, rename it over the target, fsync the directory. A
 * reader (the kubelet scanning /etc/cni/net.d, containerd executing
 * /opt/cni/bin/cello-cni) sees the old file or the new one, never half of
 * one. A crash leaves at most a `.cello-tmp-*` file, which `removeLeftovers`
 * deletes on the next start.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const TMP_PREFIX = '.cello-tmp-';

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flush a directory's entries (a rename is durable only once its directory is). */
export const fsyncDir = fsyncPath;

/** A temporary name next to `target`, unique to this process and call. */
export function tmpPath(target: string): string {
  return join(dirname(target), `${TMP_PREFIX}${basename(target)}-${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`);
}

/** Write `content` to `target` atomically with `mode`. Returns false if the file already held exactly that. */
export function writeFileAtomic(target: string, content: string | Buffer, mode = 0o644): boolean {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  try {
    if (readFileSync(target).equals(bytes)) return false;
  } catch {
    // absent or unreadable: write it
  }
  mkdirSync(dirname(target), { recursive: true });
  const tmp = tmpPath(target);
  const fd = openSync(tmp, 'wx', mode);
  try {
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, target);
  fsyncDir(dirname(target));
  return true;
}

/** Rename a finished temporary directory into place and make it durable. */
export function renameDirAtomic(tmpDir: string, target: string): void {
  renameSync(tmpDir, target);
  fsyncDir(dirname(target));
}

/** Remove an entry so that it is gone after a crash too. */
export function removeDurably(path: string): void {
  rmSync(path, { recursive: true, force: true });
  fsyncDir(dirname(path));
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
