/**
 * Running a plan: at most one `ip -batch` per side (plus `ip -6 -batch` for
 * IPv6 rules; the pod's started alongside the host's), host sysctls through /proc/sys, pod sysctls with one
 * `sysctl -w` inside the pod, and `tc -batch` per side where shaping or
 * ENI-egress rules are asked.
 */
import { type Expect, type Rendered, render } from './objects.ts';
import type { Plan } from './plan.ts';
import { batch, HOST, pod, startBatch, writePodSysctls } from './run.ts';
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

/**
 * Apply a whole plan: host first (it creates what the pod side configures),
 * then the pod. The pod's `ip -batch` process starts with the host's, so its
 * exec overlaps the host batch; it reads its lines only once the host side
 * is done (and is ended unused if the host side fails).
 */
export async function applyPlan(p: Plan): Promise<void> {
  const r = render(p.pod);
  const podIp = r.ip.length ? startBatch(pod(p.netns), 'ip') : undefined;
  try {
    await applyHost(p.host);
    // The pod's sysctls name devices the host batch just moved or made there, and come before its addresses.
    await writePodSysctls(p.netns, r.sysctls);
    await podIp?.run(r.ip);
  } finally {
    podIp?.cancel();
  }
  await batch(pod(p.netns), 'tc', r.tc);
}
