import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, must } from '@cello/testkit';

export interface Timing {
  name: string;
  command: string;
  medianMs: number;
  meanMs: number;
  stddevMs: number;
  runs: number;
  /** Every timed run, in ms. */
  times: number[];
}

export interface HyperfineOptions {
  runs?: number;
  warmup?: number;
  /** Run before each timed run (hyperfine --prepare), e.g. to reset state. */
  prepare?: string;
  /** Extra environment for the timed commands. */
  env?: Record<string, string>;
  /**
   * Split the runs into this many hyperfine invocations, the commands' order
   * reversed every other one, and pool the times. hyperfine times all of one
   * command's runs before the next's, so a drift in the machine's load lands
   * on one side; alternating rounds spread it over both. Default 1.
   */
  rounds?: number;
}

/**
 * Time whole processes with Debian's hyperfine, all commands in one run so the
 * ratios compare like with like. Commands are shell strings.
 */
export async function hyperfine(commands: Record<string, string>, opts: HyperfineOptions = {}): Promise<Timing[]> {
  const rounds = Math.max(1, opts.rounds ?? 1);
  const runs = Math.max(2, Math.ceil((opts.runs ?? 30) / rounds));
  const names = Object.keys(commands);
  const times = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [...names].reverse() : names;
    const got = await hyperfineOnce(
      order.map((n) => [n, commands[n]!]),
      { ...opts, runs, warmup: round === 0 ? opts.warmup : 1 },
    );
    for (const [i, ts] of got.entries()) times.get(order[i]!)!.push(...ts);
  }
  return names.map((name) => {
    const ts = times.get(name)!;
    const mean = ts.reduce((a, b) => a + b, 0) / ts.length;
    const stddev = Math.sqrt(ts.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, ts.length - 1));
    return { name, command: commands[name]!, medianMs: median(ts), meanMs: mean, stddevMs: stddev, runs: ts.length, times: ts };
  });
}

/** One hyperfine invocation; each command's run times in ms, in the order given. */
async function hyperfineOnce(commands: Array<[string, string]>, opts: HyperfineOptions): Promise<number[][]> {
  const dir = tempDir('cello-bench-');
  try {
    const out = join(dir.path, 'hf.json');
    const args = ['--style', 'basic', '-N', '--export-json', out, '--runs', String(opts.runs ?? 30), '--warmup', String(opts.warmup ?? 3)];
    if (opts.prepare) args.splice(args.indexOf('-N'), 1, '--prepare', opts.prepare);
    for (const [name, cmd] of commands) args.push('--command-name', name, cmd);
    await must('hyperfine', args, { env: { ...process.env, ...opts.env }, stdout: 'inherit', stderr: 'inherit' });
    const data = JSON.parse(readFileSync(out, 'utf8')) as { results: Array<{ times: number[] }> };
    return data.results.map((r) => r.times.map((t) => t * 1000));
  } finally {
    dir.remove();
  }
}

/** Median of a list of numbers. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
