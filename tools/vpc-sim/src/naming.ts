/**
 * Everything a sim makes is named after the sim: namespaces `NAME-vpc` and
 * `NAME-nodeK`, and files under `/run/vpc-sim/NAME/`. `down` finds leftovers
 * by these conventions even when the manifest is gone.
 */
import { join } from 'node:path';
import { UsageError } from '@cello/cli-kit';

export const DEFAULT_NAME = 'cello';
export const RUN_ROOT = process.env.VPC_SIM_RUN_DIR ?? '/run/vpc-sim';
const NAME_RE = /^[a-z][a-z0-9]{0,19}$/;

/** Fixed addresses inside every simulated VPC (each sim has its own router namespace). */
export const SIM_ADDRESSES = {
  metadata: '100.96.0.96',
  openapi: '100.96.0.100',
  kubernetes: '100.96.0.101',
} as const;
export const KUBERNETES_PORT = 6443;

export function checkSimName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw new UsageError(`sim name "${name}" must be 1-20 lower-case letters and digits, starting with a letter`);
  }
  return name;
}

export function nodeName(index: number): string {
  return `node${index}`;
}

export interface SimPaths {
  name: string;
  stateDir: string;
  manifest: string;
  world: string;
  config: string;
  info: string;
  controlSocket: string;
  kubeconfig: string;
  serverLog: string;
  nodesDir: string;
  routerNetns: string;
  nodeNetns(node: string): string;
  nodeDir(node: string): string;
}

export function simPaths(name: string): SimPaths {
  checkSimName(name);
  const stateDir = join(RUN_ROOT, name);
  return {
    name,
    stateDir,
    manifest: join(stateDir, 'manifest.json'),
    world: join(stateDir, 'world.json'),
    config: join(stateDir, 'config.json'),
    info: join(stateDir, 'info.json'),
    controlSocket: join(stateDir, 'control.sock'),
    kubeconfig: join(stateDir, 'kubeconfig'),
    serverLog: join(stateDir, 'server.log'),
    nodesDir: join(stateDir, 'nodes'),
    routerNetns: `${name}-vpc`,
    nodeNetns: (node) => `${name}-${node}`,
    nodeDir: (node) => join(stateDir, 'nodes', node),
  };
}

/** True when `netns` is one this sim's conventions produce. */
export function isSimNetns(name: string, netns: string): boolean {
  return netns === `${name}-vpc` || new RegExp(`^${name}-node\\d+$`).test(netns);
}
