/**
 * Test helpers shared by every package's tests. Tests run as root and build
 * real network namespaces; everything here cleans up after itself.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { execa, type Options, type Result } from 'execa';

/** The repository root (where bin/ lives). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Path of a built command: `bin('cello-cni')`. `make build` makes them. */
export function bin(name: string): string {
  const p = join(repoRoot, 'bin', name);
  if (!existsSync(p)) throw new Error(`${p} is missing: run \`make build\` first`);
  return p;
}

/** Path of a test tool under test/bin (the libcni driver). `make setup` builds it. */
export function testBin(name: string): string {
  const p = join(repoRoot, 'test', 'bin', name);
  if (!existsSync(p)) throw new Error(`${p} is missing: run \`make setup\` first`);
  return p;
}

/** A short unique name for namespaces and links: `prefix` + 6 hex chars (keep prefix ≤ 8 chars). */
export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(3).toString('hex')}`;
}

/**
 * tap injects its process-info loader into every child's NODE_OPTIONS (about
 * 90 ms per Node child, and it breaks require(esm) detection). Children of
 * tests run through `env -u NODE_OPTIONS` so they start as they would in
 * production.
 */
const CLEAN = ['/usr/bin/env', '-u', 'NODE_OPTIONS'] as const;

/** Run a command; never throws on a non-zero exit (check `.exitCode`). */
export function run(cmd: string, args: readonly string[], opts: Options = {}): Promise<Result> {
  return execa(CLEAN[0], [...CLEAN.slice(1), cmd, ...args], { reject: false, ...opts }) as Promise<Result>;
}

/** A long-running child (a server in a namespace); `stop()` kills it and waits. */
export interface Background {
  pid: number | undefined;
  /**
   * The child's first line on stdout: a server that prints one once it
   * listens is ready when this resolves (no sleeping and hoping). Rejects if
   * the child exits first.
   */
  firstLine(): Promise<string>;
  stop(): Promise<void>;
}

export function background(cmd: string, args: readonly string[], opts: Options = {}): Background {
  const child = execa(CLEAN[0], [...CLEAN.slice(1), cmd, ...args], { reject: false, ...opts });
  const first = new Promise<string>((resolve, reject) => {
    if (!child.stdout) return reject(new Error(`${cmd}: stdout is not a pipe`));
    createInterface({ input: child.stdout }).once('line', resolve);
    void child.then((r) => reject(new Error(`${cmd} ${args.join(' ')} exited ${r.exitCode} before printing a line: ${String(r.stderr)}`)));
  });
  first.catch(() => {}); // only an error for callers that wait for it
  return {
    pid: child.pid,
    firstLine: () => first,
    async stop() {
      child.kill('SIGKILL');
      await child;
    },
  };
}

/** Run a command and throw with its stderr if it fails. */
export async function must(cmd: string, args: readonly string[], opts: Options = {}): Promise<Result> {
  const r = await run(cmd, args, opts);
  if (r.exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.exitCode}: ${String(r.stderr)}`);
  return r;
}

/** A network namespace made for one test: `path` for CNI_NETNS, `exec` to run inside it. */
export interface Netns {
  name: string;
  path: string;
  exec(cmd: string, args: readonly string[], opts?: Options): Promise<Result>;
  remove(): Promise<void>;
}

export async function createNetns(prefix = 'ct'): Promise<Netns> {
  const name = uniqueName(prefix);
  await must('ip', ['netns', 'add', name]);
  await must('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return {
    name,
    path: `/var/run/netns/${name}`,
    exec: (cmd, args, opts) => run('ip', ['netns', 'exec', name, cmd, ...args], opts),
    remove: async () => {
      await run('ip', ['netns', 'del', name]);
    },
  };
}

/** A temporary directory removed by the returned cleanup. */
export function tempDir(prefix = 'cello-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Why a kernel feature test must skip, or undefined when the feature works here. */
export async function kernelLacks(linkType: 'ipvlan' | 'dummy' | 'vrf'): Promise<string | undefined> {
  const ns = await createNetns('kl');
  try {
    const args =
      linkType === 'ipvlan'
        ? ['link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1']
        : ['link', 'add', 'k0', 'type', linkType, ...(linkType === 'vrf' ? ['table', '10'] : [])];
    await must('ip', ['-n', ns.name, ...args]);
    if (linkType === 'ipvlan') {
      const r = await run('ip', ['-n', ns.name, 'link', 'add', 'link', 'p0', 'name', 'iv0', 'type', 'ipvlan', 'mode', 'l2']);
      if (r.exitCode !== 0) return `the kernel has no ipvlan (${String(r.stderr).trim()})`;
    }
    return undefined;
  } catch (err) {
    return `the kernel has no ${linkType} (${(err as Error).message.trim()})`;
  } finally {
    await ns.remove();
  }
}

export { waitFor } from './wait-for.ts';
export { echoFrom, echoServer } from './tcp-echo.ts';
