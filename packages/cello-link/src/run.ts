/**
 * Spawning iproute2. Everything cello-link does to the kernel goes through
 * here: one `ip -batch` per side and family, one `tc -batch` where shaping is
 * asked, one `sysctl` where a pod needs sysctls. The pod side runs
 * `ip -n NAME …` (`tc -n NAME`) when the netns is a named one,
 * /var/run/netns/NAME, as containerd and CRI-O make them: iproute2 enters it
 * itself, one exec fewer per call than `nsenter --net=PATH ip …`, which runs
 * for any other path and for `sysctl` (nsenter execs, it does not fork, so
 * that is one process). A counter records every spawn so tests and the
 * benchmark can report processes per setup.
 *
 * Two rules hold for every child (docs/datapaths.md, "What cello-link runs"):
 * - No input is ever syntax. Nothing runs through a shell with caller data in
 *   its script, and a batch line that `ip -batch` would read as more than
 *   words (`#` starts a comment; quotes group; `\` continues) is refused
 *   before anything runs.
 * - A child dies with its caller: each starts under `setpriv --pdeathsig
 *   KILL`, so a CNI call killed by its runtime leaves no batch behind to
 *   change the node after the pod's lock is free again.
 * - A child speaks English: it runs with LC_ALL=C. ip and tc never set a
 *   locale, but setpriv, nsenter and sysctl do, and their messages (libc's
 *   strerror among them) end up in errors and in what ALREADY_GONE matches.
 *   It also spares setpriv loading locale files on every spawn (≈ 0.6 ms).
 *
 * Under Bun (the compiled cello-cni) a child is started with Bun.spawn, the
 * input handed over whole and the output read as two strings: node's
 * child_process on Bun wraps the same spawn in stream objects, which cost
 * ≈ 2 ms of CPU per child and several ms of wall time before `close`
 * (docs/cello-cni.md, Start-up). Under Node (the cello-link CLI, tests),
 * node:child_process.
 */
import { existsSync, realpathSync } from 'node:fs';
import { LinkError } from './errors.ts';

/** Where a command runs: this process's netns, or a pod's. */
export type Side = { kind: 'host' } | { kind: 'pod'; netns: string };

export const HOST: Side = { kind: 'host' };
/** How messages name a side: `host`, or `pod /var/run/netns/…`. */
export const sideName = (side: Side) => (side.kind === 'host' ? 'host' : `pod ${side.netns}`);
export const pod = (netns: string): Side => ({ kind: 'pod', netns });

let spawned = 0;
/** How many processes this library has started so far (for tests and benchmarks). */
export const processesSpawned = () => spawned;

const resolved = new Map<string, string>();
/** Absolute path of a tool (CNI plugins may run with a thin PATH). */
function tool(name: string): string {
  let p = resolved.get(name);
  if (!p) {
    p = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'].map((d) => `${d}/${name}`).find((f) => existsSync(f)) ?? name;
    resolved.set(name, p);
  }
  return p;
}

export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run one process with optional stdin; resolves with its exit code and output
 * (never rejects on exit code). The child gets SIGKILL when this process dies
 * (setpriv execs, it does not fork: still one process).
 */
export function runProcess(cmd: string, args: readonly string[], input?: string): Promise<ProcessResult> {
  return startProcess(cmd, args).finish(input ?? '');
}

/** A child started before its input is known, so its exec overlaps other work; `finish` hands it its stdin and waits for it. */
export interface StartedProcess {
  /** Hand it part of its stdin now (it may act on it at once); stdin stays open for more. */
  write(input: string): void;
  finish(input: string): Promise<ProcessResult>;
}

/** Start `cmd args…` (under setpriv, as runProcess does) now; it reads its stdin once `finish` gives it. */
export function startProcess(cmd: string, args: readonly string[]): StartedProcess {
  spawned++;
  const argv = [tool('setpriv'), '--pdeathsig', 'KILL', '--', tool(cmd), ...args];
  const cannot = (e: Error) => new Error(`cannot run ${cmd}: ${e.message} (are iproute2, util-linux and procps installed?)`);
  return bun ? startBun(bun, argv, cannot) : startNode(argv, cannot);
}

let env: Record<string, string | undefined> | undefined;
/** This process's environment with LC_ALL=C: the messages a child prints are matched in English. */
function childEnv(): Record<string, string | undefined> {
  env ??= { ...process.env, LC_ALL: 'C' };
  return env;
}

/** The part of Bun's API used here (present only when running under Bun). */
interface BunSpawner {
  spawn(
    argv: string[],
    opts: { stdin: 'pipe'; stdout: 'pipe'; stderr: 'pipe'; env: Record<string, string | undefined> },
  ): {
    stdin: { write(data: string): unknown; flush(): unknown; end(): unknown };
    stdout: ReadableStream<Uint8Array>;
    stderr: ReadableStream<Uint8Array>;
    exited: Promise<number | null>;
  };
}
const bun = (globalThis as { Bun?: BunSpawner }).Bun;

function startBun(b: BunSpawner, argv: string[], cannot: (e: Error) => Error): StartedProcess {
  let child: ReturnType<BunSpawner['spawn']>;
  try {
    child = b.spawn(argv, { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', env: childEnv() });
  } catch (e) {
    const err = cannot(e as Error);
    return { write() {}, finish: () => Promise.reject(err) };
  }
  const output = Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  let done: Promise<ProcessResult> | undefined;
  return {
    write(input) {
      if (done) return;
      try {
        child.stdin.write(input);
        child.stdin.flush();
      } catch {
        // the child may have exited; finish reports how
      }
    },
    finish(input) {
      done ??= (async () => {
        try {
          child.stdin.write(input);
          await child.stdin.end();
        } catch {
          // the child may exit before reading everything
        }
        const [stdout, stderr, code] = await output;
        return { code: code ?? 1, stdout, stderr };
      })();
      return done;
    },
  };
}

function startNode(argv: string[], cannot: (e: Error) => Error): StartedProcess {
  const { spawn } = process.getBuiltinModule('node:child_process');
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: childEnv() });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  const result = new Promise<ProcessResult>((resolve, reject) => {
    child.on('error', (e) => reject(cannot(e)));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
  result.catch(() => {}); // reported to whoever calls finish
  child.stdin.on('error', () => {}); // the child may exit before reading everything
  let given = false;
  return {
    write(input) {
      if (!given) child.stdin.write(input);
    },
    finish(input) {
      if (!given) child.stdin.end(input);
      given = true;
      return result;
    },
  };
}

/** Where iproute2 looks for a named netns (`ip -n NAME`, `tc -n NAME`: NETNS_RUN_DIR). */
const NETNS_RUN_DIR = '/var/run/netns';
let runDirAlias: string | undefined;
/** /run/netns too where /var/run is /run (the usual case): the path containerd hands out. */
function netnsRunDirs(): string[] {
  if (runDirAlias === undefined) {
    try {
      runDirAlias = realpathSync(NETNS_RUN_DIR);
    } catch {
      runDirAlias = NETNS_RUN_DIR;
    }
  }
  return [NETNS_RUN_DIR, runDirAlias];
}

/** NAME when `netns` is NETNS_RUN_DIR/NAME (iproute2 can enter it by name), else undefined. */
export function namedNetns(netns: string): string | undefined {
  const slash = netns.lastIndexOf('/');
  const name = netns.slice(slash + 1);
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) return undefined;
  return netnsRunDirs().includes(netns.slice(0, slash)) ? name : undefined;
}

/** The argv that runs `bin args…` on a side. */
export function argvFor(side: Side, bin: 'ip' | 'tc' | 'sysctl', args: readonly string[]): [string, string[]] {
  if (side.kind === 'host') return [bin, [...args]];
  const name = bin === 'sysctl' ? undefined : namedNetns(side.netns);
  if (name) return [bin, ['-n', name, ...args]];
  return ['nsenter', [`--net=${side.netns}`, tool(bin), ...args]];
}

/** What a batch line may hold: words of plain characters, nothing `ip -batch` reads as syntax. */
const BATCH_SYNTAX = /[#"'\\\n\r\0]/;

function refuseSyntax(side: Side, bin: string, lines: readonly string[]): void {
  const bad = lines.find((l) => BATCH_SYNTAX.test(l));
  if (bad !== undefined) {
    throw new LinkError(
      `${sideName(side)}: refusing to run \`${bin} -batch\` with ${JSON.stringify(bad)}: a name in it holds batch syntax (# ' " \\)`,
      side.kind,
    );
  }
}

/** A sysctl key under /proc/sys (`net/ipv6/conf/eth0/disable_ipv6`) and a value, as `sysctl -w` takes them. */
const SYSCTL_KEY = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_.-]+)+$/;
const SYSCTL_VALUE = /^[0-9]+$/;

/**
 * Write sysctls inside a pod's netns: one `nsenter … sysctl -w key=value…`
 * (/proc/sys/net shows the writer's netns, so the writer must be inside).
 * Keys are in the slash form, where dots in a device name stay dots.
 */
export async function writePodSysctls(netns: string, sysctls: ReadonlyArray<[string, string]>): Promise<void> {
  if (!sysctls.length) return;
  const side = pod(netns);
  for (const [k, v] of sysctls) {
    if (!SYSCTL_KEY.test(k) || k.split('/').includes('..') || !SYSCTL_VALUE.test(v)) {
      throw new LinkError(`${sideName(side)}: refusing to write sysctl ${JSON.stringify(k)}=${JSON.stringify(v)}`, 'pod');
    }
  }
  const [cmd, args] = argvFor(side, 'sysctl', ['-q', '-w', ...sysctls.map(([k, v]) => `${k}=${v}`)]);
  const r = await runProcess(cmd, args);
  if (r.code !== 0) {
    const what = sysctls.map(([k, v]) => `${k.replaceAll('/', '.')}=${v}`).join(', ');
    throw new LinkError(`${sideName(side)}: cannot set ${what}: ${r.stderr.trim() || `exit ${r.code}`}`, 'pod');
  }
}

export interface BatchFailure {
  /** 1-based line of the batch. */
  line: number;
  command: string;
  message: string;
}

/** Pair `Command failed -:N` lines with the messages printed before them. */
export function parseBatchErrors(stderr: string, lines: readonly string[]): BatchFailure[] {
  const failures: BatchFailure[] = [];
  let pending: string[] = [];
  for (const raw of stderr.split('\n')) {
    const text = raw.trim();
    if (!text) continue;
    const m = /^Command failed -:(\d+)$/.exec(text);
    if (!m) {
      pending.push(text);
      continue;
    }
    const line = Number(m[1]);
    failures.push({ line, command: lines[line - 1] ?? '?', message: pending.join('; ') || 'failed' });
    pending = [];
  }
  if (pending.length) failures.push({ line: 0, command: '', message: pending.join('; ') });
  return failures;
}

/** Messages from ip and tc that mean "already gone": what teardown, and cello-gc's deletes, treat as success. */
export const ALREADY_GONE =
  /Cannot find device|No such file or directory|No such process|No such device|Cannot find specified|does not exist|Cannot delete qdisc with handle of zero|Invalid handle|cannot open|Failed to find/i;

export interface BatchOptions {
  /** `ip -6`: for rules, whose family `ip` will not infer from the address. */
  family6?: boolean;
  /** Keep going past failing lines and return them instead of throwing. */
  force?: boolean;
}

/**
 * Run `ip -batch -` (or `tc -batch -`) on a side. Without `force`, the first
 * failing line throws a LinkError naming that command.
 */
export async function batch(side: Side, bin: 'ip' | 'tc', lines: readonly string[], opts: BatchOptions = {}): Promise<BatchFailure[]> {
  if (!lines.length) return [];
  refuseSyntax(side, bin, lines);
  return startBatch(side, bin, opts).run(lines);
}

/**
 * A batch whose process is started ahead of its lines. `send` hands it its
 * first lines now (it runs them at once, in order); `run` gives the rest and
 * waits for the outcome of all of them; `cancel` ends it without more lines
 * (having sent none, it does nothing).
 */
export interface StartedBatch {
  send(lines: readonly string[]): void;
  run(lines: readonly string[]): Promise<BatchFailure[]>;
  cancel(): void;
}

/** Start `ip -batch -` (or tc) on a side now, to be given its lines later by `run` (as `batch` runs them) or ended by `cancel`. */
export function startBatch(side: Side, bin: 'ip' | 'tc', opts: BatchOptions = {}): StartedBatch {
  const flags = [...(opts.family6 ? ['-6'] : []), ...(opts.force ? ['-force'] : []), '-batch', '-'];
  const [cmd, args] = argvFor(side, bin, flags);
  const key = [cmd, ...args].join('\0');
  const child = waiting.get(key) ?? startProcess(cmd, args);
  waiting.delete(key);
  let used = false;
  const sent: string[] = [];
  return {
    send(lines) {
      refuseSyntax(side, bin, lines);
      if (used) throw new Error(`${bin} batch on ${sideName(side)}: lines sent after it ended`);
      sent.push(...lines);
      if (lines.length) child.write(`${lines.join('\n')}\n`);
    },
    async run(lines) {
      refuseSyntax(side, bin, lines);
      used = true;
      const r = await child.finish(lines.length ? `${lines.join('\n')}\n` : '');
      return batchOutcome(side, bin, [...sent, ...lines], r, opts);
    },
    cancel() {
      if (used) return;
      used = true;
      child.finish('').catch(() => {});
    },
  };
}

/** Processes started by `prestartBatch` that no batch has taken yet, by argv. */
const waiting = new Map<string, StartedProcess>();

/**
 * Start the process of a batch this call is about to run (`ip -batch -` on a
 * side, with these options) before its lines are known, so its exec overlaps
 * the caller's other work (cello-cni: the pod's lock, the store). The next
 * `batch`/`startBatch` with the same side, program and options takes it;
 * `endPrestarted` ends any still untaken (an empty batch does nothing). It
 * acts only on lines given later, so it changes nothing before the caller
 * holds its lock, and it dies with this process as every child does.
 */
export function prestartBatch(side: Side, bin: 'ip' | 'tc', opts: BatchOptions = {}): void {
  const flags = [...(opts.family6 ? ['-6'] : []), ...(opts.force ? ['-force'] : []), '-batch', '-'];
  const [cmd, args] = argvFor(side, bin, flags);
  const key = [cmd, ...args].join('\0');
  if (!waiting.has(key)) waiting.set(key, startProcess(cmd, args));
}

/** End every prestarted batch process no batch took. */
export function endPrestarted(): void {
  for (const child of waiting.values()) child.finish('').catch(() => {});
  waiting.clear();
}

function batchOutcome(side: Side, bin: 'ip' | 'tc', lines: readonly string[], r: ProcessResult, opts: BatchOptions): BatchFailure[] {
  if (r.code === 0) return [];
  const failures = parseBatchErrors(r.stderr, lines);
  if (opts.force) return failures.length ? failures : [{ line: 0, command: '', message: r.stderr.trim() || `exit ${r.code}` }];
  const f = failures[0] ?? { line: 0, command: '', message: r.stderr.trim() || `exit ${r.code}` };
  const where = sideName(side);
  throw new LinkError(
    f.command ? `${where}: \`${bin} ${f.command}\` failed: ${f.message}` : `${where}: ${bin} failed: ${f.message}`,
    side.kind,
    f.command || undefined,
  );
}

/** Run read-only `ip -j` (or `tc -j`) commands in one process; one parsed array per command. */
export async function query(side: Side, bin: 'ip' | 'tc', commands: readonly string[], opts: { family6?: boolean; details?: boolean } = {}) {
  refuseSyntax(side, bin, commands);
  const flags = ['-j', ...(opts.details ? ['-d'] : []), ...(opts.family6 ? ['-6'] : []), '-batch', '-'];
  const [cmd, args] = argvFor(side, bin, flags);
  const r = await runProcess(cmd, args, `${commands.join('\n')}\n`);
  const where = sideName(side);
  if (r.code !== 0) throw new LinkError(`${where}: reading kernel state with ${bin} failed: ${r.stderr.trim()}`, side.kind);
  const docs = r.stdout.split('\n').filter((l) => l.startsWith('['));
  if (docs.length !== commands.length) {
    throw new LinkError(`${where}: expected ${commands.length} answers from \`${bin} -j -batch\`, got ${docs.length}`, side.kind);
  }
  // biome-ignore lint/suspicious/noExplicitAny: iproute2's JSON, read field by field
  return docs.map((d) => JSON.parse(d) as Array<Record<string, any>>);
}
