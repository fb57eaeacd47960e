/**
 * vpc-sim for tests (`@cello/testkit/sim`): a sim per test with its own name
 * (so test files can run side by side), taken down in the test's teardown;
 * a node's host paths as the test sees them; the cloud delay presets.
 *
 * A subpath of its own, so that the main entry stays free of vpc-sim (whose
 * tests use testkit too). testkit does not list vpc-sim as a dependency, so
 * it is imported by its path in the workspace.
 */
import { join } from 'node:path';
import { type Sim, type SimConfig, simPaths, startSim, type UpOptions, uniqueSimName } from '@cello/vpc-sim';

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
