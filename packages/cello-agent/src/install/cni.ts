/**
 * Put cello-cni and its conflist on the host, each with one atomic rename:
 *
 * - the binary first (harmless on its own): the runtime directory, then the
 *   `cello-cni` wrapper in the CNI bin directory, smoke-tested with the CNI
 *   VERSION command before it replaces the old one;
 * - the conflist last, once the pool holds IPs: from then on the kubelet
 *   reports the node's network ready and schedules pods to it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { removeDurably, removeLeftovers, tmpPath, writeFileAtomic } from './atomic.ts';
import { ensureRuntime, pruneRuntimes, type Runtime, type RuntimeSources } from './runtime.ts';

export const CNI_BINARY = 'cello-cni';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The wrapper script: Node through the runtime's own loader and libraries; nothing from the host's PATH. */
export function wrapperScript(rt: Runtime): string {
  return [
    '#!/bin/sh',
    `# cello-cni ${rt.version}, installed by cello-agent. Node and the bundle live in ${rt.dir};`,
    '# they load no library from the host (see docs/install.md).',
    'unset NODE_OPTIONS NODE_PATH',
    `exec ${quote(rt.loader)} --library-path ${quote(join(rt.dir, 'lib'))} ${quote(join(rt.dir, 'node'))} ${quote(join(rt.dir, CNI_BINARY))} "$@"`,
    '',
  ].join('\n');
}

/** The version directory an installed wrapper points at, if any. */
export function installedVersion(cniBinDir: string): string | undefined {
  try {
    return /\/(v[0-9a-f]{12})\/node'/.exec(readFileSync(join(cniBinDir, CNI_BINARY), 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** Run a wrapper with CNI_COMMAND=VERSION; throw unless it answers as a CNI plugin. */
export function smokeTest(wrapper: string): string[] {
  const r = spawnSync(wrapper, [], {
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
  throw new Error(`the new ${CNI_BINARY} does not run on this host (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout || String(r.error ?? '')).trim().slice(0, 300)}`);
}

export interface BinaryInstall {
  runtime: Runtime;
  wrapper: string;
  /** The wrapper changed (a new version, or none was installed). */
  changed: boolean;
  pruned: string[];
}

/** Install (or keep) the runtime and the wrapper; prune runtimes no wrapper points at. */
export function installCniBinary(opts: { cniBinDir: string; runtimeDir: string; sources: RuntimeSources }): BinaryInstall {
  removeLeftovers(opts.runtimeDir);
  removeLeftovers(opts.cniBinDir);
  const previous = installedVersion(opts.cniBinDir);
  const runtime = ensureRuntime(opts.runtimeDir, opts.sources);
  const wrapper = join(opts.cniBinDir, CNI_BINARY);
  const script = wrapperScript(runtime);
  let changed = false;
  if (!existsSync(wrapper) || readFileSync(wrapper, 'utf8') !== script) {
    // Smoke-test a copy under a temporary name, then rename the real one into place.
    const probe = tmpPath(wrapper);
    writeFileAtomic(probe, script, 0o755);
    try {
      smokeTest(probe);
    } finally {
      removeDurably(probe);
    }
    changed = writeFileAtomic(wrapper, script, 0o755);
  }
  // Keep the version a CNI call already running may be executing from.
  const pruned = pruneRuntimes(opts.runtimeDir, [runtime.version, ...(previous ? [previous] : [])]);
  return { runtime, wrapper, changed, pruned };
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
