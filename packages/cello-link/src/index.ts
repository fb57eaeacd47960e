/**
 * cello-link: the pod datapaths, programmed with iproute2. What cello-cni
 * (in-process, on the hot path), cello-gc and cello-agent import.
 */
export { check } from './check.ts';
export { chooseDatapath } from './datapath.ts';
export { eniUp } from './eni-up.ts';

export { PRIO_FROM_NETWORK_POD, PRIO_FROM_POD, PRIO_TO_POD, hostVethName, ifbName, ipvlanHostName, legacyLinkNames, vethMacs } from './names.ts';
export { inspectNetns, isPodNetns, netnsProblem } from './netns.ts';
export { ALREADY_GONE, endPrestarted, HOST, prestartBatch, runProcess } from './run.ts';
export { setup } from './setup.ts';
export { show, type ShowRoute, type ShowRule } from './show.ts';
export { type BegunTeardown, beginTeardown, teardown } from './teardown.ts';
export * from './types.ts';
export { parseBandwidth } from './validate.ts';
