/**
 * A runtime for cello-cni that the host can execute without Node installed:
 * the image's own `node` binary, the shared libraries it and the SQLite addon
 * link against (found with `ldd`, the dynamic loader included), the
 * cello-cni bundle and better-sqlite3, copied into one directory per version:
 *
 *   /opt/cello/v<hash>/node  cello-cni  package.json  lib/  node_modules/
 *
 * The wrapper in /opt/cni/bin starts Node through that copied loader with
 * `--library-path`, so nothing but the kernel and /bin/sh comes from the
 * host (why not a single-executable application: see docs/install.md).
 *
 * The directory is built under a temporary name and renamed into place only
 * when complete and flushed, so a version directory that exists is whole.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, cpSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { removeDurably, renameDirAtomic, tmpPath } from './atomic.ts';

export interface RuntimeSources {
  /** The Node binary to copy (default: the one running the agent). */
  node: string;
  /** The directory holding the cello-cni bundle (bin/ in the tree, /usr/local/lib/cello/bin in the image). */
  binDir: string;
}

export interface Runtime {
  version: string;
  dir: string;
  /** The ELF interpreter inside `dir/lib`. */
  loader: string;
}

/** Node modules the bundle keeps external, with the files of each that run-time needs. */
const NATIVE_MODULES = ['better-sqlite3', 'bindings', 'file-uri-to-path'];

function moduleDirs(binDir: string): Record<string, string> {
  const fromBundle = createRequire(join(binDir, 'cello-cni'));
  const sqlite = dirname(realpathSync(fromBundle.resolve('better-sqlite3/package.json')));
  const fromSqlite = createRequire(join(sqlite, 'package.json'));
  const bindings = dirname(realpathSync(fromSqlite.resolve('bindings/package.json')));
  const fromBindings = createRequire(join(bindings, 'package.json'));
  const fileUri = dirname(realpathSync(fromBindings.resolve('file-uri-to-path/package.json')));
  return { 'better-sqlite3': sqlite, bindings, 'file-uri-to-path': fileUri };
}

const addonOf = (sqliteDir: string) => join(sqliteDir, 'build', 'Release', 'better_sqlite3.node');

/** Shared libraries of an ELF file as `ldd` resolves them: [soname, path], and the loader. */
export function sharedLibraries(file: string): { libs: Array<[string, string]>; loader?: string } {
  let out: string;
  try {
    out = execFileSync('ldd', [file], { encoding: 'utf8' });
  } catch (err) {
    throw new Error(`cannot list the shared libraries of ${file} with ldd (${(err as Error).message.split('\n')[0]}); the image needs libc-bin`);
  }
  const libs: Array<[string, string]> = [];
  let loader: string | undefined;
  for (const line of out.split('\n')) {
    const m = /^\s*(\S+) => (\/\S+) \(/.exec(line);
    if (m) libs.push([m[1]!, m[2]!]);
    const l = /^\s*(\/\S+) \(/.exec(line);
    if (l) loader = l[1];
  }
  return { libs, loader };
}

/** The version name: a hash of what runs (Node's version and the bundle and addon bytes). */
export function runtimeVersion(src: RuntimeSources): string {
  const h = createHash('sha256');
  h.update(`${process.version}\0${process.arch}\0`);
  h.update(readFileSync(join(src.binDir, 'cello-cni')));
  h.update(readFileSync(addonOf(moduleDirs(src.binDir)['better-sqlite3']!)));
  h.update(readFileSync(src.node).subarray(0, 1 << 20));
  return `v${h.digest('hex').slice(0, 12)}`;
}

function fsyncTree(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) fsyncTree(p);
    else if (e.isFile()) {
      const fd = openSync(p, 'r');
      fsyncSync(fd);
      closeSync(fd);
    }
  }
  const fd = openSync(dir, 'r');
  fsyncSync(fd);
  closeSync(fd);
}

function copyModule(from: string, to: string, name: string): void {
  mkdirSync(to, { recursive: true });
  const keep = name === 'better-sqlite3' ? ['package.json', 'lib'] : readdirSync(from).filter((n) => n !== 'node_modules');
  for (const n of keep) cpSync(join(from, n), join(to, n), { recursive: true, dereference: true });
  if (name === 'better-sqlite3') {
    mkdirSync(join(to, 'build', 'Release'), { recursive: true });
    copyFileSync(addonOf(from), addonOf(to));
  }
}

/**
 * Make sure `runtimeDir/<version>` exists and is complete; build it if not.
 * Returns where it is. Idempotent: an existing version directory is reused.
 */
export function ensureRuntime(runtimeDir: string, src: RuntimeSources): Runtime {
  const version = runtimeVersion(src);
  const dir = join(runtimeDir, version);
  const interp = () => {
    const name = readdirSync(join(dir, 'lib')).find((n) => n.startsWith('ld-linux'));
    if (!name) throw new Error(`${dir}/lib has no dynamic loader; remove ${dir} and restart the agent`);
    return join(dir, 'lib', name);
  };
  if (existsSync(dir)) return { version, dir, loader: interp() };

  mkdirSync(runtimeDir, { recursive: true, mode: 0o755 });
  const tmp = tmpPath(dir);
  try {
    mkdirSync(join(tmp, 'lib'), { recursive: true, mode: 0o755 });
    copyFileSync(src.node, join(tmp, 'node'));
    chmodSync(join(tmp, 'node'), 0o755);
    copyFileSync(join(src.binDir, 'cello-cni'), join(tmp, 'cello-cni'));
    writeFileSync(join(tmp, 'package.json'), '{ "type": "commonjs" }\n');
    const mods = moduleDirs(src.binDir);
    for (const name of NATIVE_MODULES) copyModule(mods[name]!, join(tmp, 'node_modules', name), name);

    const loaders = new Set<string>();
    for (const elf of [src.node, addonOf(mods['better-sqlite3']!)]) {
      const { libs, loader } = sharedLibraries(elf);
      for (const [soname, path] of libs) copyFileSync(path, join(tmp, 'lib', soname));
      if (loader) loaders.add(loader);
    }
    if (loaders.size !== 1) throw new Error(`expected one dynamic loader for node and its addon, found ${[...loaders].join(', ') || 'none'}`);
    const loader = [...loaders][0]!;
    copyFileSync(loader, join(tmp, 'lib', basename(loader)));
    chmodSync(join(tmp, 'lib', basename(loader)), 0o755);
    fsyncTree(tmp);
    renameDirAtomic(tmp, dir);
  } catch (err) {
    removeDurably(tmp);
    throw err;
  }
  return { version, dir, loader: interp() };
}

/** Delete version directories other than `keep` (the new one, and the one in-flight CNI calls may still run). */
export function pruneRuntimes(runtimeDir: string, keep: readonly string[]): string[] {
  const removed: string[] = [];
  for (const name of existsSync(runtimeDir) ? readdirSync(runtimeDir) : []) {
    if (!/^v[0-9a-f]{12}$/.test(name) || keep.includes(name)) continue;
    removeDurably(join(runtimeDir, name));
    removed.push(name);
  }
  return removed;
}
