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
}

export interface HyperfineOptions {
  runs?: number;
  warmup?: number;
  /** Run before each timed run (hyperfine --prepare), e.g. to reset state. */
  prepare?: string;
  /** Extra environment for the timed commands. */
  env?: Record<string, string>;
}

/**
 * Time whole processes with Debian's hyperfine, all commands in one run so the
 * ratios compare like with like. Commands are shell strings.
 */
export async function hyperfine(commands: Record<string, string>, opts: HyperfineOptions = {}): Promise<Timing[]> {
  const dir = tempDir('cello-bench-');
  try {
    const out = join(dir.path, 'hf.json');
    const args = ['--style', 'basic', '-N', '--export-json', out, '--runs', String(opts.runs ?? 30), '--warmup', String(opts.warmup ?? 3)];
    if (opts.prepare) args.splice(args.indexOf('-N'), 1, '--prepare', opts.prepare);
    for (const [name, cmd] of Object.entries(commands)) args.push('--command-name', name, cmd);
    await must('hyperfine', args, { env: { ...process.env, ...opts.env }, stdout: 'inherit', stderr: 'inherit' });
    const data = JSON.parse(readFileSync(out, 'utf8')) as {
      results: Array<{ command: string; median: number; mean: number; stddev: number; times: number[] }>;
    };
    const names = Object.keys(commands);
    return data.results.map((r, i) => ({
      name: names[i] ?? r.command,
      command: Object.values(commands)[i] ?? r.command,
      medianMs: r.median * 1000,
      meanMs: r.mean * 1000,
      stddevMs: r.stddev * 1000,
      runs: r.times.length,
    }));
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
