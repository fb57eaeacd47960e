/**
 * Put cello-cni and its conflist on the host, each with one atomic rename:
 *
 * - the binary first (harmless on its own): one standalone executable (built
 *   by `bun build --compile`, docs/install.md), copied under a temporary
 *   name beside the old one, smoke-tested with the CNI VERSION command, then
 *   renamed over it. A call already running keeps executing the old file
 *   (its inode lives until the process exits);
 * - the conflist last, once the pool holds IPs: from then on the kubelet
 *   reports the node's network ready and schedules pods to it.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fsyncPath, tmpPath, writeFileAtomic } from '@cello/cli-kit';
import { removeDurably, removeLeftovers } from './atomic.ts';
import { pruneRuntimes } from './legacy.ts';

export const CNI_BINARY = 'cello-cni';

const CHUNK = 1 << 20;

/** The version an install reports: `v` + the first 12 hex digits of the binary's SHA-256. */
export function binaryVersion(file: string): string {
  const h = createHash('sha256');
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(CHUNK);
    for (let n; (n = readSync(fd, buf, 0, CHUNK, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return `v${h.digest('hex').slice(0, 12)}`;
}

/** Byte-for-byte equal files (false when either is missing), read in chunks: the binary is ~100 MB. */
function sameContent(a: string, b: string): boolean {
  let fa: number | undefined;
  let fb: number | undefined;
  try {
    if (statSync(a).size !== statSync(b).size) return false;
    fa = openSync(a, 'r');
    fb = openSync(b, 'r');
    const ba = Buffer.alloc(CHUNK);
    const bb = Buffer.alloc(CHUNK);
    for (;;) {
      const na = readSync(fa, ba, 0, CHUNK, null);
      const nb = readSync(fb, bb, 0, CHUNK, null);
      if (na !== nb || !ba.subarray(0, na).equals(bb.subarray(0, nb))) return false;
      if (na === 0) return true;
    }
  } catch {
    return false;
  } finally {
    if (fa !== undefined) closeSync(fa);
    if (fb !== undefined) closeSync(fb);
  }
}

/**
 * The version directory an older Cello's wrapper script points at, if the
 * installed cello-cni is such a script (it ran Node from `/opt/cello/v<hash>/`).
 */
export function installedVersion(cniBinDir: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(join(cniBinDir, CNI_BINARY), 'r');
    const head = Buffer.alloc(4096);
    const text = head.subarray(0, readSync(fd, head, 0, head.length, 0)).toString('utf8');
    return text.startsWith('#!/bin/sh') ? /\/(v[0-9a-f]{12})\/node'/.exec(text)?.[1] : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Run a binary with CNI_COMMAND=VERSION and nothing else in its environment; throw unless it answers as a CNI plugin. */
export function smokeTest(binary: string): string[] {
  const r = spawnSync(binary, [], {
    env: { CNI_COMMAND: 'VERSION', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    input: '{"cniVersion":"1.0.0"}',
    encoding: 'utf8',
    timeout: 30_000,
  });
  try {
    const versions = (JSON.parse(r.stdout) as { supportedVersions?: string[] }).supportedVersions;
    if (Array.isArray(versions) && versions.length) return versions;
  } catch {
    // reported below
  }
  throw new Error(
    `the new ${CNI_BINARY} does not run on this host (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout || String(r.error ?? '')).trim().slice(0, 300)}`,
  );
}

export interface BinaryInstall {
  /** `v<hash>` of the installed binary. */
  version: string;
  /** Where it is: <cniBinDir>/cello-cni. */
  binary: string;
  /** The binary changed (a new version, or none was installed). */
  changed: boolean;
  /** Runtime directories an older Cello left under `legacyRuntimeDir`, now removed. */
  pruned: string[];
}

/**
 * Install (or keep) `source` as <cniBinDir>/cello-cni. With
 * `legacyRuntimeDir`, also remove what an older Cello installed there (Node
 * and a bundle per version), keeping the one the replaced wrapper named for
 * one more start: a call may still be running from it.
 */
export function installCniBinary(opts: { cniBinDir: string; source: string; legacyRuntimeDir?: string }): BinaryInstall {
  removeLeftovers(opts.cniBinDir);
  if (opts.legacyRuntimeDir) removeLeftovers(opts.legacyRuntimeDir);
  const previous = installedVersion(opts.cniBinDir);
  const binary = join(opts.cniBinDir, CNI_BINARY);
  const version = binaryVersion(opts.source);
  let changed = false;
  if (!sameContent(opts.source, binary)) {
    mkdirSync(opts.cniBinDir, { recursive: true });
    const tmp = tmpPath(binary);
    try {
      copyFileSync(opts.source, tmp);
      chmodSync(tmp, 0o755);
      const fd = openSync(tmp, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      smokeTest(tmp);
      renameSync(tmp, binary);
    } catch (err) {
      removeDurably(tmp);
      throw err;
    }
    fsyncPath(dirname(binary));
    changed = true;
  }
  const pruned = opts.legacyRuntimeDir ? pruneRuntimes(opts.legacyRuntimeDir, previous ? [previous] : []) : [];
  return { version, binary, changed, pruned };
}

/** True for a conflist cello-agent installs (any variant), so a switch of variant removes the old one. */
const isOurs = (name: string) => /^\d+-cello[\w.-]*\.conflist$/.test(name);

export interface ConflistInstall {
  path: string;
  changed: boolean;
  removed: string[];
}

/** Read a conflist and check that it is one the agent may install; returns its text. */
export function checkConflist(source: string): string {
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the conflist ${source}: ${(err as Error).message}`);
  }
  let doc: { plugins?: Array<{ type?: string }> };
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source} is not valid JSON: ${(err as Error).message}`);
  }
  if (!doc.plugins?.some((p) => p.type === CNI_BINARY)) throw new Error(`${source} is not a Cello conflist (no plugin of type ${CNI_BINARY})`);
  if (!isOurs(basename(source))) throw new Error(`${source}: a Cello conflist is named NN-cello….conflist, so the agent can tell it apart from others`);
  return text;
}

/** Install `source` into the CNI config directory under its own name; remove other Cello conflists. */
export function installConflist(opts: { cniConfDir: string; source: string }): ConflistInstall {
  const text = checkConflist(opts.source);
  const name = basename(opts.source);
  removeLeftovers(opts.cniConfDir);
  const path = join(opts.cniConfDir, name);
  const changed = writeFileAtomic(path, text, 0o644);
  const removed: string[] = [];
  for (const other of readdirSync(opts.cniConfDir)) {
    if (other !== name && isOurs(other)) {
      removeDurably(join(opts.cniConfDir, other));
      removed.push(other);
    }
  }
  return { path, changed, removed };
}
