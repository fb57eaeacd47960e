/**
 * cello-link: the pod datapaths, programmed with iproute2. What cello-cni
 * (in-process, on the hot path), cello-gc and cello-agent import.
 */
export { check } from './check.ts';
export { chooseDatapath, datapathFor, probeIpvlan } from './datapath.ts';
export { eniUp, planEniUp, renderEniUp, type EniUpResult } from './eni-up.ts';
export { KernelLacksError, LinkError } from './errors.ts';
export { discoverHostIps } from './host-facts.ts';
export {
  CELLO_PROTO,
  HOST_VETH_PATTERN,
  IFB_PATTERN,
  IPVLAN_HOST_PATTERN,
  POD_GATEWAY_V4,
  PRIO_FROM_POD,
  PRIO_TO_POD,
  hostVethName,
  ifbName,
  ipvlanHostName,
  legacyLinkNames,
  vethMacs,
} from './names.ts';
export { inspectNetns, isPodNetns, netnsProblem, type NetnsVerdict } from './netns.ts';
export { ALREADY_GONE, endPrestarted, HOST, prestartBatch, processesSpawned, runProcess } from './run.ts';
export { dryRun, planSetup, setup, type DryRun } from './setup.ts';
export { show, type LinkRole, type ShowLink, type ShowQdisc, type KernelObjects, type ShowRoute, type ShowRule } from './show.ts';
export { planTeardown, runTeardown, teardown, type TeardownPlan } from './teardown.ts';
export * from './types.ts';
export { parseAllocation, parseBandwidth, parseEni, parseTarget } from './validate.ts';
