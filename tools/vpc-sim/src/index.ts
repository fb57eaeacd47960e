/**
 * vpc-sim as a library, for other packages' tests, benchmarks and the demo:
 *
 *   const sim = await startSim({ nodes: 2, config: { delaysMs: { create: 0, attach: 0, detach: 0, delete: 0 } } });
 *   t.teardown(() => sim.down());
 *   await sim.exec('node1', ['ip', '-br', 'link']);
 *   await sim.api('DescribeSubnets');          // owner, unsigned, via the control socket
 *   await sim.control.addFault({ kind: 'throttle', rate: 5 });
 *
 * `startSim` needs the built bin/vpc-sim (the server runs from it).
 */
import { randomBytes } from 'node:crypto';
import { ControlClient } from './control/client.ts';
import type { SimInfo } from './info.ts';
import { down, type DownReport } from './lifecycle/down.ts';
import type { ChildProcess } from 'node:child_process';
import { type ExecOptions, type ExecResult, execInNode, spawnInNode } from './lifecycle/exec.ts';
import { up, type UpOptions } from './lifecycle/up.ts';
import { simPaths } from './naming.ts';
import { readJsonFile } from '@cello/cli-kit';

export interface Sim {
  info: SimInfo;
  control: ControlClient;
  /** Run a command on a node (piped stdio by default); never throws on a non-zero exit. */
  exec(node: string, cmd: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Start a command on a node without waiting (a server, a watcher); kill() it when done (down() does too). */
  spawn(node: string, cmd: readonly string[], opts?: Omit<ExecOptions, 'input'>): ChildProcess;
  /** An API action as the account owner, unsigned; the response envelope. */
  // biome-ignore lint/suspicious/noExplicitAny: the envelope of any action; tests read the fields they expect
  api(action: string, params?: Record<string, string | number | boolean>): Promise<Record<string, any>>;
  down(): Promise<DownReport>;
}

/** A short unique sim name for tests (`s` + 6 hex digits unless a prefix is given). */
export const uniqueSimName = (prefix = 's') => `${prefix}${randomBytes(3).toString('hex')}`;

function handle(info: SimInfo): Sim {
  const control = new ControlClient(info.control.socket);
  return {
    info,
    control,
    // A node does not inherit the test runner's NODE_OPTIONS (tap's loaders).
    exec: (node, cmd, opts) => execInNode(info.name, node, cmd, { ...opts, env: { NODE_OPTIONS: '', ...opts?.env } }),
    spawn: (node, cmd, opts) => spawnInNode(info.name, node, cmd, { ...opts, env: { NODE_OPTIONS: '', ...opts?.env } }),
    api: async (action, params) => (await control.api(action, params)).body as Record<string, unknown>,
    down: () => down(info.name),
  };
}

export async function startSim(opts: UpOptions = {}): Promise<Sim> {
  return handle(await up({ ...opts, name: opts.name ?? uniqueSimName() }));
}

/** A handle on a sim that is already up (e.g. started with `vpc-sim up`). */
export function attachSim(name: string): Sim {
  const info = readJsonFile<SimInfo>(simPaths(name).info);
  if (!info) throw new Error(`sim ${name} is not up (no ${simPaths(name).info})`);
  return handle(info);
}

export type { SimState } from './control/state.ts';
export { DEFAULT_CONFIG, type SimConfig } from './config.ts';
export type { IngressConfig, SecurityGroupConfig, SecurityGroupEntry } from './security-group-config.ts';

export type { CallRecord } from './openapi/calls.ts';

export type { UpOptions } from './lifecycle/up.ts';

export { simPaths } from './naming.ts';
