/** Helpers for tests that run a real sim (namespaces, the bundled server); the sim itself comes from @cello/testkit/sim. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import type { Sim } from '../src/index.ts';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const fixture = (name: string) => join(FIXTURES, name);

/** The API as the owner; throws with the error code unless it succeeded. Returns Result. */
export async function api(sim: Sim, action: string, params: Record<string, string | number | boolean> = {}): Promise<any> {
  const r = await sim.api(action, params);
  const err = r.ResponseMetadata?.Error;
  if (err) throw new Error(`${action}: ${err.Code}: ${err.Message}`);
  return r.Result;
}

/** Start the TCP fixture server on a node and wait until it listens. */
export async function tcpServer(t: Test, sim: Sim, node: string, port: number): Promise<void> {
  const child = sim.spawn(node, ['node', fixture('tcp.mjs'), 'serve', String(port)]);
  t.teardown(() => void child.kill());
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('listening')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`tcp server on ${node} exited ${code}`)));
  });
}

/** Connect from a node; {ok, reply} or {ok: false, error}. */
export async function connect(sim: Sim, node: string, host: string, port: number, src?: string): Promise<{ ok: boolean; reply?: string; error?: string }> {
  const r = await sim.exec(node, ['node', fixture('tcp.mjs'), 'connect', host, String(port), ...(src ? [src] : [])]);
  try {
    return JSON.parse(r.stdout.trim());
  } catch {
    return { ok: false, error: `exit ${r.code}: ${r.stderr.trim()}` };
  }
}

/** `ip` inside a namespace, must succeed. */
export async function ipIn(sim: Sim, node: string, ...args: string[]): Promise<string> {
  const r = await sim.exec(node, ['ip', ...args]);
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')} on ${node}: ${r.stderr}`);
  return r.stdout;
}
