/**
 * vpc-sim for tests (`@cello/testkit/sim`): a sim per test with its own name
 * (so test files can run side by side), taken down in the test's teardown;
 * a node's host paths as the test sees them; the cloud delay presets; the
 * libcni driver run in a node, as a runtime would run the CNI there.
 *
 * A subpath of its own, so that the main entry stays free of vpc-sim (whose
 * tests use testkit too).
 */
import { dirname, join } from 'node:path';
import { type Sim, type SimConfig, simPaths, startSim, type UpOptions, uniqueSimName } from '@cello/vpc-sim';
import { bin, testBin } from './index.ts';

/** How long the sim's cloud takes over each ENI transition (its default is 300 ms each). */
type Delays = SimConfig['delaysMs'];

/** Every ENI transition at once: for tests about anything but the cloud's pace. */
export const NO_DELAYS: Delays = { create: 0, attach: 0, detach: 0, delete: 0 };
/** Transitions that take a moment (callers really wait on Attaching, Detaching, …), still fast. */
export const FAST_DELAYS: Delays = { create: 100, attach: 100, detach: 100, delete: 100 };

/** The part of a tap `Test` this needs. */
interface Teardown {
  teardown(fn: () => unknown): void;
}

/**
 * Start a sim for this test and take it down in the test's teardown. Its
 * name is unique (`prefix` + 6 hex digits) unless `opts.name` says otherwise;
 * the config is the sim's own defaults plus `opts.config`.
 */
export async function withSim(t: Teardown, opts: UpOptions & { prefix?: string } = {}): Promise<Sim> {
  const { prefix, ...up } = opts;
  const sim = await startSim({ name: uniqueSimName(prefix), ...up });
  t.teardown(() => sim.down());
  return sim;
}

/** A node's host path (`/etc/cello/conf`) as the test sees it: inside the sim's per-node root directory. */
export function nodePath(sim: Sim, node: string, path: string): string {
  return join(simPaths(sim.info.name).nodeDir(node), 'root', path);
}

export interface LibcniCall {
  /** The pod's network namespace path. */
  netns: string;
  /** The container id (CNI_CONTAINERID). */
  id: string;
  /** K8S_POD_NAMESPACE and K8S_POD_NAME in CNI_ARGS (default: `default`, the id). */
  podNamespace?: string;
  pod?: string;
  /** The conflist: a file in the node, or (default) the network `cello` in the node's /etc/cni/net.d. */
  conflist?: string;
  /** Plugin directories (default: this build's bin/, where cello-cni is, then the reference plugins). */
  cniPath?: string;
  /** libcni's result cache (default: /var/lib/cni in the node). */
  cacheDir?: string;
}

/** test/bin/libcni-driver in a sim node: what containerd's CNI library does for one verb. */
export function libcniInNode(sim: Sim, node: string, verb: 'add' | 'del' | 'check', c: LibcniCall) {
  return sim.exec(node, [
    testBin('libcni-driver'),
    '-cni-path',
    c.cniPath ?? `${dirname(bin('cello-cni'))}:/usr/lib/cni`,
    ...(c.conflist ? ['-conflist', c.conflist] : ['-netconfpath', '/etc/cni/net.d', '-name', 'cello']),
    '-netns',
    c.netns,
    '-id',
    c.id,
    ...(c.cacheDir ? ['-cache-dir', c.cacheDir] : []),
    '-args',
    `IgnoreUnknown=1;K8S_POD_NAMESPACE=${c.podNamespace ?? 'default'};K8S_POD_NAME=${c.pod ?? c.id}`,
    verb,
  ]);
}

/** A command in a node that must succeed: its stdout; else an error naming the node, the command, its exit code and the end of its output. */
export async function execOk(sim: Sim, node: string, cmd: string[], input?: string): Promise<string> {
  const r = await sim.exec(node, cmd, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`${node}: ${cmd.join(' ')} → ${r.code}: ${r.stderr.slice(-800)}${r.stdout.slice(-300)}`);
  return r.stdout;
}

/** The sim's Kubernetes API without a token (its control socket): the JSON body; throws unless 2xx. */
// biome-ignore lint/suspicious/noExplicitAny: API objects of any kind; tests read what they asked for
export async function k8sOk(sim: Sim, method: string, path: string, body?: unknown, contentType?: string): Promise<any> {
  const r = await sim.control.k8s(method, path, body, contentType);
  if (r.status < 200 || r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
