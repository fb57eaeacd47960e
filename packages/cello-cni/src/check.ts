/**
 * CHECK, top-down: validate the config → withNodeStore (the pod's netns, its
 * lock, the store, the call's log line) → the allocation exists, prevResult
 * agrees with it, and every kernel object the datapath needs is in place.
 * The error names each thing wrong, e.g. `host: rule pref 512 to
 * 192.168.0.20 lookup main: missing`.
 */
import { type Call, CniError, ErrorCode, type Result } from '@cello/cni-types';
import type { Allocation } from '@cello/cello-ipam';
import { check } from '@cello/cello-link';
import { validateConfig } from './netconf.ts';
import { allocationKey, forLink, podLabel, withNodeStore } from './node-store.ts';

export async function cmdCheck(call: Call): Promise<void> {
  const cfg = validateConfig(call.conf);
  const { env } = call;
  const key = allocationKey(call);
  const noStore = async () => {
    throw new CniError(ErrorCode.UnknownContainer, `no allocation for ${key.containerId}/${key.ifname}: this node has no IPAM store`);
  };
  return withNodeStore(call, cfg, { podNetns: true, podLock: true, noStore }, async ({ store, log, note }) => {
    const allocation = store.allocation(key);
    if (!allocation) throw new CniError(ErrorCode.UnknownContainer, `no allocation for ${key.network}/${key.containerId}/${key.ifname}`);
    const problems = prevResultProblems(allocation, call.conf.prevResult, env.netns);
    const findings = await check(forLink({ ...allocation, netns: env.netns }), undefined, {
      datapath: cfg.datapath ?? store.settings().datapath,
      bandwidth: call.conf.runtimeConfig.bandwidth,
      log,
    });
    problems.push(...findings.map((f) => `${f.side}: ${f.object}: ${f.problem}`));
    if (problems.length) {
      note({ problems });
      throw new CniError(ErrorCode.Internal, `datapath of ${podLabel(allocation)} is not as set up: ${problems.join('; ')}`);
    }
  });
}

/** prevResult must show the pod interface in this netns carrying the allocated addresses. */
function prevResultProblems(a: Allocation, prev: Result | undefined, netns: string): string[] {
  if (!prev) return ['prevResult is missing'];
  const out: string[] = [];
  const idx = prev.interfaces?.findIndex((i) => i.name === a.ifname && i.sandbox === netns) ?? -1;
  if (idx < 0) out.push(`prevResult has no interface ${a.ifname} in ${netns}`);
  for (const ip of [a.ipv4, a.ipv6].filter(Boolean) as string[]) {
    if (!prev.ips?.some((p) => p.address.split('/')[0] === ip)) out.push(`prevResult lacks the allocated address ${ip}`);
  }
  return out;
}
