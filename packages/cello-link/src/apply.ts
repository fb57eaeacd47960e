/**
 * Running a plan: at most one `ip -batch` per side (plus `ip -6 -batch` for
 * IPv6 rules), host sysctls through /proc/sys, pod sysctls with one
 * `sysctl -w` inside the pod, and `tc -batch` per side where shaping or
 * ENI-egress rules are asked.
 */
import { type Expect, type Rendered, render } from './objects.ts';
import type { Plan } from './plan.ts';
import { batch, HOST, pod, writePodSysctls } from './run.ts';
import { writeSysctl } from './sysctl.ts';

/** The exact commands a plan runs, per side (what `--dry-run` prints). */
export interface RenderedPlan {
  host: Rendered;
  pod: Rendered;
}

export function renderPlan(p: Pick<Plan, 'host' | 'pod'>): RenderedPlan {
  return { host: render(p.host), pod: render(p.pod) };
}

/** Apply one side's objects on the host. */
export async function applyHost(objects: readonly Expect[]): Promise<void> {
  const r = render(objects);
  await batch(HOST, 'ip', r.ip);
  await batch(HOST, 'ip', r.ip6, { family6: true });
  for (const [key, value] of r.sysctls) writeSysctl(key, value);
  await batch(HOST, 'tc', r.tc);
}

/** Apply a whole plan: host first (it creates what the pod side configures), then the pod. */
export async function applyPlan(p: Plan): Promise<void> {
  await applyHost(p.host);
  const r = render(p.pod);
  // The pod's sysctls name devices the host batch just moved or made there, and come before its addresses.
  await writePodSysctls(p.netns, r.sysctls);
  await batch(pod(p.netns), 'ip', r.ip);
  await batch(pod(p.netns), 'tc', r.tc);
}
