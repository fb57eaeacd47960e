/**
 * setup: build the plan for an allocation (looking up the ENI device only for
 * the datapaths that touch it) and apply it. If applying fails — leftovers of
 * a crashed run, a half-made pod — everything this allocation could have made
 * is torn down and the plan is applied once more. A second failure is
 * reported as it is: undoing a failed setup is the caller's (cello-cni's ADD
 * undo, the CLI's setup command), in one place each.
 */
import { applyPlan, renderPlan, type RenderedPlan } from './apply.ts';
import { datapathFor } from './datapath.ts';
import { LinkError } from './errors.ts';
import { inspectNetns, netnsProblem } from './netns.ts';
import { hostEniDevice, hostIpsFor, ipvlanFacts } from './host-facts.ts';
import type { Plan } from './plan.ts';
import { exclusivePlan } from './plan-exclusive.ts';
import { ipvlanPlan } from './plan-ipvlan.ts';
import { vethPlan } from './plan-veth.ts';
import { teardown } from './teardown.ts';
import { checkOptions, parseAllocation } from './validate.ts';
import type { LinkAllocation, LinkResult, SetupOptions } from './types.ts';

/** Everything setup would do for an allocation, without doing it. */
export async function planSetup(input: LinkAllocation, opts: SetupOptions = {}): Promise<Plan> {
  const a = parseAllocation(input); // library callers get the same field-naming checks as the CLI
  checkOptions(opts);
  const datapath = await datapathFor(a, opts.datapath);
  if (datapath === 'veth') return vethPlan(a, opts, a.eni.podNetwork ? { eniDevice: (await hostEniDevice(a.eni)).eni.name } : {});
  const { eni, links } = await hostEniDevice(a.eni);
  if (datapath === 'exclusive') return exclusivePlan(a, opts, { eniDevice: eni.name, hostIps: hostIpsFor(opts) });
  return ipvlanPlan(a, opts, ipvlanFacts(eni, links, opts.mtu ?? a.eni.mtu ?? eni.mtu, opts));
}

export interface DryRun {
  datapath: Plan['datapath'];
  commands: RenderedPlan;
  result: LinkResult;
}

export function dryRun(p: Plan): DryRun {
  return { datapath: p.datapath, commands: renderPlan(p), result: p.result };
}

/** Program the datapath for an allocation and return what was made. */
export async function setup(a: LinkAllocation, opts: SetupOptions = {}): Promise<LinkResult> {
  const problem = netnsProblem(a.netns, inspectNetns(a.netns));
  if (problem) throw new LinkError(`pod netns ${problem}`, 'pod');
  try {
    const plan = await planSetup(a, opts);
    await applyPlan(plan);
    return plan.result;
  } catch (first) {
    if (!(first instanceof LinkError)) throw first;
    opts.log?.warn('setup failed; removing what this allocation may have left and trying once more', { error: first.message });
    await teardown(a, opts);
    const plan = await planSetup(a, opts);
    await applyPlan(plan);
    return plan.result;
  }
}
