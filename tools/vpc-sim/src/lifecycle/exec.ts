/**
 * `vpc-sim exec NODE -- CMD…`: run CMD as if on the node. It joins the
 * node's network namespace, then a mount and UTS namespace of its own in which
 * /sys shows the node's devices, the node's own directories are bound over
 * the host paths (node-fs.ts), /etc/hosts sends open.volcengineapi.com to the
 * sim, and the hostname is the node name. Nothing is mounted outside that
 * namespace. Its mounts are slaves of the host's (as the DaemonSet mounts
 * /var/run/netns with `mountPropagation: HostToContainer`): a pod netns the
 * host mounts later shows in a long-running command, which otherwise would
 * see only the empty file under it. stdio passes through; the exit code is CMD's.
 */
import { type ChildProcess, spawn, type StdioOptions } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '@cello/cli-kit';
import { type SimPaths, simPaths } from '../naming.ts';
import { NODE_PATHS, nodeHosts, nodeRoot } from './node-fs.ts';

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The argv that runs `cmd` inside the node. */
export function execArgv(paths: SimPaths, node: string, cmd: readonly string[]): string[] {
  const netns = `/var/run/netns/${paths.nodeNetns(node)}`;
  if (!existsSync(netns)) throw new UsageError(`sim ${paths.name} has no node ${node} (no ${netns}); see vpc-sim info --name ${paths.name}`);
  if (!cmd.length) throw new UsageError('name a command to run: vpc-sim exec NODE -- CMD…');
  const root = nodeRoot(paths, node);
  const binds = NODE_PATHS.map((p) => `mount --bind ${shellQuote(join(root, p))} ${shellQuote(p)}`);
  const script = [
    'set -e',
    'umount -l /sys 2>/dev/null || true',
    'mount -t sysfs sysfs /sys',
    ...binds,
    `mount --bind ${shellQuote(nodeHosts(paths, node))} /etc/hosts`,
    `hostname ${shellQuote(node)}`,
    'exec "$@"',
  ].join('\n');
  return ['nsenter', `--net=${netns}`, '--', 'unshare', '--mount', '--uts', '--propagation', 'slave', '--', '/bin/sh', '-c', script, 'vpc-sim-exec', ...cmd];
}

/** Make sure the host has the directories the binds mount onto (they stay empty on the host). */
export function ensureMountPoints(): void {
  for (const p of NODE_PATHS) mkdirSync(p, { recursive: true, mode: 0o755 });
}

export interface ExecOptions {
  stdio?: StdioOptions;
  input?: string;
  env?: Record<string, string>;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Start a command in a node and return at once (e.g. a server a test talks to); stop it with kill(). */
export function spawnInNode(name: string, node: string, cmd: readonly string[], opts: Omit<ExecOptions, 'input'> = {}): ChildProcess {
  const paths = simPaths(name);
  const argv = execArgv(paths, node, cmd);
  ensureMountPoints();
  const env = { ...process.env, VPC_SIM_NAME: name, VPC_SIM_NODE: node, KUBECONFIG: process.env.KUBECONFIG ?? paths.kubeconfig, ...opts.env };
  return spawn(argv[0]!, argv.slice(1), { stdio: opts.stdio ?? ['pipe', 'pipe', 'pipe'], env });
}

/** Run a command in a node and wait for it. With the default piped stdio the output is collected. */
export function execInNode(name: string, node: string, cmd: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const child = spawnInNode(name, node, cmd, opts);
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    if (child.stdin) {
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input ?? '');
    }
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    if (opts.stdio === 'inherit') {
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
    }
    child.on('error', (err) => resolve({ code: 127, stdout, stderr: `${stderr}${err.message}\n` }));
    child.on('close', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve({ code: code ?? 128 + (signal ? (({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 1) : 1), stdout, stderr });
    });
  });
}
