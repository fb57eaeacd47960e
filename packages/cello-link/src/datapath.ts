/**
 * Which datapath runs. `auto` is ipvlan where the kernel has it, else veth.
 * The probe costs nothing when /sys/module/ipvlan exists (the module is
 * loaded or built in with a sysfs entry); otherwise it creates an ipvlan once
 * in a throwaway netns and remembers the answer for this boot in
 * /run/cello/ipvlan-probe.json (keyed by the boot id, so a new kernel probes
 * again).
 */
import { existsSync, readFileSync } from 'node:fs';
import { readJsonFile, writeJsonFile } from '@cello/cli-kit';
import { KernelLacksError } from './errors.ts';
import { runProcess } from './run.ts';
import type { Datapath, DatapathChoice, LinkAllocation } from './types.ts';

export const PROBE_CACHE = '/run/cello/ipvlan-probe.json';

let memo: { ipvlan: boolean; reason: string } | undefined;

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** Whether the kernel can make ipvlan links, and why we think so. */
export async function probeIpvlan(): Promise<{ ipvlan: boolean; reason: string }> {
  if (memo) return memo;
  if (existsSync('/sys/module/ipvlan')) return (memo = { ipvlan: true, reason: '/sys/module/ipvlan exists' });
  const boot = bootId();
  const cached = readJsonFile<{ bootId: string; ipvlan: boolean; reason: string }>(PROBE_CACHE);
  if (cached?.bootId === boot) return (memo = { ipvlan: cached.ipvlan, reason: `${cached.reason} (cached in ${PROBE_CACHE})` });
  const r = await runProcess('unshare', [
    '--net',
    '/bin/sh',
    '-c',
    'ip link add cprobe0 type veth peer name cprobe1 && ip link add link cprobe0 name cprobe2 type ipvlan mode l2',
  ]);
  const result =
    r.code === 0
      ? { ipvlan: true, reason: 'an ipvlan link could be created' }
      : { ipvlan: false, reason: `the kernel has no ipvlan (${r.stderr.trim().split('\n').pop()})` };
  try {
    // Atomically: CNI calls probing at once each see a whole answer or none.
    writeJsonFile(PROBE_CACHE, { bootId: boot, ...result });
  } catch {
    // read-only /run: probe again next time
  }
  return (memo = result);
}

/** The shared-mode datapath for a choice; `ipvlan` on a kernel without it is an error that says so. */
export async function chooseDatapath(choice: DatapathChoice = 'auto'): Promise<'ipvlan' | 'veth'> {
  if (choice === 'veth') return 'veth';
  const probe = await probeIpvlan();
  if (choice === 'ipvlan' && !probe.ipvlan) {
    throw new KernelLacksError(`datapath ipvlan is not available: ${probe.reason}; use datapath veth (or auto)`);
  }
  return probe.ipvlan ? 'ipvlan' : 'veth';
}

/** The datapath an allocation gets: exclusive mode always moves the ENI. */
export async function datapathFor(alloc: Pick<LinkAllocation, 'mode'>, choice?: DatapathChoice): Promise<Datapath> {
  return alloc.mode === 'exclusive' ? 'exclusive' : chooseDatapath(choice);
}
