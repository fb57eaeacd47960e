/** Run a program and collect its output; never throws on a non-zero exit unless `must` is used. */
import { spawn } from 'node:child_process';

export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: readonly string[], input?: string): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (err) => resolve({ code: 127, stdout, stderr: `${stderr}${err.message}` }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

export async function must(cmd: string, args: readonly string[], input?: string): Promise<ProcessResult> {
  const r = await run(cmd, args, input);
  if (r.code !== 0) {
    const what = input ? `${cmd} ${args.join(' ')} <<${input.trim().split('\n').slice(0, 3).join('; ')}…` : `${cmd} ${args.join(' ')}`;
    throw new Error(`${what} failed (exit ${r.code}): ${r.stderr.trim()}`);
  }
  return r;
}
