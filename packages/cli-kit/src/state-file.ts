/**
 * State files that appear whole or not at all: write a temporary file in
 * the same directory, fsync it, rename it over the target, fsync the
 * directory. A reader sees the old file or the new one, never half of one;
 * a crash leaves at most a `.cello-tmp-*` file beside it. Readable only by
 * root unless a mode says otherwise.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const TMP_PREFIX = '.cello-tmp-';

/** Flush a file's or a directory's entries (a rename is durable only once its directory is). */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A temporary name next to `target`, unique to this process and call. */
export function tmpPath(target: string): string {
  return join(dirname(target), `${TMP_PREFIX}${basename(target)}-${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`);
}

/** Write `content` to `target` atomically with `mode` (default 0600). Returns false if the file already held exactly that. */
export function writeFileAtomic(target: string, content: string | Buffer, mode = 0o600): boolean {
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
  fsyncPath(dirname(target));
  return true;
}

/** `value` as pretty JSON, written atomically (default 0600). Returns false if the file already held exactly that. */
export function writeJsonFile(path: string, value: unknown, mode = 0o600): boolean {
  return writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, mode);
}

/** The parsed file, or undefined when it is missing or not valid JSON (a state file not written yet, or damaged). */
export function readJsonFile<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
