import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** One plugin call: what the plugin got and what it answered. */
export interface PluginStep {
  plugin: string;
  command: string;
  /** The CNI_* variables it was run with. */
  env: Record<string, string>;
  stdin: Record<string, unknown>;
  exitCode: number;
  /** Parsed stdout (a result or an error), or the raw text if it was not JSON. */
  stdout: unknown;
  stderr: string;
  ms: number;
}

export function findPlugin(type: string, cniPath: string[]): string {
  if (type.includes('/')) throw new Error(`invalid plugin type "${type}": no path separators allowed`);
  for (const dir of cniPath) {
    const p = join(dir, type);
    if (existsSync(p)) return p;
  }
  throw new Error(`failed to find plugin "${type}" in path [${cniPath.join(' ')}]`);
}

/** Run a plugin binary as a runtime does: CNI_* in the environment, the config on stdin. */
export function invokePlugin(path: string, type: string, cniEnv: Record<string, string>, stdin: Record<string, unknown>): Promise<PluginStep> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(path, [], { env: { ...process.env, ...cniEnv }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      let parsed: unknown = out;
      try {
        parsed = out.trim() ? JSON.parse(out) : undefined;
      } catch {
        // keep the raw text
      }
      resolve({
        plugin: type,
        command: cniEnv.CNI_COMMAND ?? '',
        env: cniEnv,
        stdin,
        exitCode: code ?? -1,
        stdout: parsed,
        stderr: err,
        ms: Math.round((performance.now() - started) * 10) / 10,
      });
    });
    child.stdin.end(JSON.stringify(stdin));
  });
}
