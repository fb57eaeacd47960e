/**
 * teardown: remove everything setup made for one pod interface, and succeed
 * when it is already gone (missing netns, missing links, a second run). A
 * netns path that is not a pod's network namespace (netns.ts) counts as gone.
 *
 * Order: the pod side first (delete the ipvlan slave and pod ifb; for an
 * exclusive ENI, drop its qdiscs and addresses, rename it to `cex<hash>` and
 * move it back into this process's netns), then the host side in one forced
 * batch: the host veth (its routes and neighbours go with it), the ifb, the
 * main-table pod routes of ipvlan, the policy rules; finally the returned ENI
 * gets its old name back. Every delete that finds nothing counts as done.
 *
 * A caller that holds the pod's lock before it knows the allocation (cello-cni
 * DEL) can `beginTeardown` by the names alone: the host veth and the ifb go
 * at once, first in the host's batch, so the kernel's ≈ 20 ms of deleting a
 * veth overlaps the caller reading its store; `teardown(…, { begun })` then
 * sends the rest to the same batch. The veth then goes before the pod side,
 * which no pod-side step needs (they act on the ipvlan slave or the ENI).
 */
import { probeIpvlan } from './datapath.ts';
import { LinkError } from './errors.ts';
import { hostCidr, isIPv6 } from '@cello/records';
import { findByMac, type LinkInfo, listLinks } from './links.ts';
import { inspectNetns, netnsProblem } from './netns.ts';
import { CELLO_PROTO, hostVethName, ifbName, PRIO_FROM_NETWORK_POD, PRIO_FROM_POD, PRIO_TO_POD, transitName } from './names.ts';
import { ALREADY_GONE, type BatchFailure, batch, HOST, pod, query, type Side, type StartedBatch, sideName, startBatch } from './run.ts';
import type { TeardownOptions, TeardownTarget } from './types.ts';
import { parseTarget } from './validate.ts';

export interface TeardownPlan {
  datapath: 'veth' | 'ipvlan' | 'exclusive';
  pod?: { netns: string; ip: string[]; tc: string[] };
  host: { ip: string[]; ip6: string[] };
  /** The exclusive ENI's rename on the host once it is back: [current name, wanted name]. */
  rename?: [string, string];
  notes: string[];
}

/** The pod IPs of a target; when the allocation did not say, read them off the host veth's routes. */
async function podIpsOf(t: TeardownTarget, hostVeth: string): Promise<string[]> {
  const given = [t.ipv4, t.ipv6].filter((x): x is string => Boolean(x));
  if (given.length) return given;
  const [v4, v6] = await query(HOST, 'ip', ['route show table main', 'route show table main root ::/0']);
  return [...v4!, ...v6!].filter((r) => r.dev === hostVeth && !String(r.dst).includes('/')).map((r) => String(r.dst));
}

function exclusivePodSide(t: TeardownTarget, eni: LinkInfo, netns: string) {
  const transit = transitName(t.containerId, t.ifname);
  return {
    netns,
    tc: [`qdisc del dev ${eni.name} root`, `qdisc del dev ${eni.name} ingress`],
    ip: [
      `link del ${ifbName(t.containerId, t.ifname)}`,
      `link set dev ${eni.name} down`,
      `addr flush dev ${eni.name}`,
      `link set dev ${eni.name} name ${transit}`,
      `link set dev ${transit} netns /proc/${process.pid}/ns/net`,
    ],
  };
}

export async function planTeardown(input: TeardownTarget, opts: TeardownOptions = {}): Promise<TeardownPlan> {
  const t = parseTarget(input);
  const hostVeth = hostVethName(t.containerId, t.ifname);
  const ifb = ifbName(t.containerId, t.ifname);
  const datapath = t.mode === 'exclusive' ? 'exclusive' : opts.datapath === 'veth' || !(await probeIpvlan()).ipvlan ? 'veth' : 'ipvlan';
  const plan: TeardownPlan = { datapath, host: { ip: [], ip6: [] }, notes: [] };
  // A path that is not a pod's netns (gone, a leftover plain file, the node's own) is a gone netns: only the host side is undone.
  const verdict = t.netns ? inspectNetns(t.netns) : undefined;
  const podNs = verdict?.kind === 'netns' ? t.netns : undefined;
  if (t.netns && verdict && !podNs) plan.notes.push(`pod netns ${t.netns} is gone (${netnsProblem(t.netns, verdict)}): nothing to undo inside it`);

  if (datapath === 'ipvlan' && podNs) plan.pod = { netns: podNs, tc: [], ip: [`link del ${t.ifname}`, `link del ${ifb}`] };
  if (datapath === 'exclusive' && !t.eni?.mac) plan.notes.push('exclusive allocation without its ENI MAC: the ENI can not be looked for');
  if (datapath === 'exclusive' && t.eni?.mac) {
    const wanted = t.eni.device;
    const inPod = podNs ? findByMac(await listLinks(pod(podNs)), t.eni.mac, `pod ${podNs}`) : undefined;
    if (inPod && podNs) {
      plan.pod = exclusivePodSide(t, inPod, podNs);
      if (wanted) plan.rename = [transitName(t.containerId, t.ifname), wanted];
    } else {
      const onHost = findByMac(await listLinks(HOST), t.eni.mac);
      if (!onHost) plan.notes.push(`ENI ${t.eni.mac} is neither in the pod nor on the host (a lingering netns may still hold it)`);
      else if (wanted && onHost.name !== wanted) plan.rename = [onHost.name, wanted];
    }
  }

  plan.host.ip.push(...byNameLines(t));
  for (const ip of await podIpsOf(t, hostVeth)) {
    plan.host.ip.push(`route del ${hostCidr(ip)} table main proto ${CELLO_PROTO}`);
    (isIPv6(ip) ? plan.host.ip6 : plan.host.ip).push(
      `rule del pref ${PRIO_TO_POD} to ${ip} protocol ${CELLO_PROTO}`,
      `rule del pref ${PRIO_FROM_POD} from ${ip} protocol ${CELLO_PROTO}`,
      // A pod of a PodNetwork has one more rule and two to-pod rules (by iif): a missing one is already gone.
      `rule del pref ${PRIO_FROM_NETWORK_POD} from ${ip} protocol ${CELLO_PROTO}`,
      `rule del pref ${PRIO_TO_POD} to ${ip} protocol ${CELLO_PROTO}`,
    );
  }
  return plan;
}

/** The host lines that need only the pod's names (the first of every host teardown): its veth and its ifb. */
function byNameLines(key: Pick<TeardownTarget, 'containerId' | 'ifname'>): string[] {
  return [`link del ${hostVethName(key.containerId, key.ifname)}`, `link del ${ifbName(key.containerId, key.ifname)}`];
}

/** A teardown begun by the names alone: its host batch is running the by-name lines already. */
export interface BegunTeardown {
  readonly containerId: string;
  readonly ifname: string;
  readonly batch: StartedBatch;
  readonly sent: readonly string[];
}

/**
 * Delete this pod interface's host veth and ifb now, in the host's forced
 * batch. Whoever begins a teardown ends it: `teardown(…, { begun })`, or
 * `begun.batch.cancel()` when it never gets there (the sent lines still run).
 */
export function beginTeardown(key: Pick<TeardownTarget, 'containerId' | 'ifname'>): BegunTeardown {
  const t = parseTarget(key);
  const sent = byNameLines(t);
  const b = startBatch(HOST, 'ip', { force: true });
  b.send(sent);
  return { containerId: t.containerId, ifname: t.ifname, batch: b, sent };
}

/** The host batch's lines: all of them, or, when begun, the rest after what the begun batch already runs. */
function hostBatch(plan: TeardownPlan, begun: BegunTeardown | undefined): Promise<BatchFailure[]> {
  if (!begun) return batch(HOST, 'ip', plan.host.ip, { force: true });
  const head = plan.host.ip.slice(0, begun.sent.length);
  if (head.join('\n') !== begun.sent.join('\n')) {
    throw new LinkError(`host: a teardown begun for ${begun.containerId}/${begun.ifname} was given another target's plan`, 'host');
  }
  return begun.batch.run(plan.host.ip.slice(begun.sent.length));
}

/** Failures that are not "already gone" become a LinkError. */
function realFailures(side: Side, failures: BatchFailure[]): void {
  const real = failures.filter((f) => !ALREADY_GONE.test(f.message));
  if (!real.length) return;
  const f = real[0]!;
  throw new LinkError(`${sideName(side)}: teardown \`${f.command}\` failed: ${f.message}`, side.kind, f.command);
}

export async function runTeardown(plan: TeardownPlan, opts: TeardownOptions = {}): Promise<void> {
  if (plan.pod) {
    const side = pod(plan.pod.netns);
    if (plan.pod.tc.length) realFailures(side, await batch(side, 'tc', plan.pod.tc, { force: true }));
    realFailures(side, await batch(side, 'ip', plan.pod.ip, { force: true }));
  }
  realFailures(HOST, await hostBatch(plan, opts.begun));
  if (plan.host.ip6.length) realFailures(HOST, await batch(HOST, 'ip', plan.host.ip6, { family6: true, force: true }));
  if (plan.rename) {
    const [from, to] = plan.rename;
    const failed = await batch(HOST, 'ip', [`link set dev ${from} name ${to}`], { force: true });
    if (failed.length) {
      const note = `ENI left on the host as ${from}: cannot rename it to ${to} (${failed[0]!.message}); it is found by MAC anyway`;
      plan.notes.push(note);
      opts.log?.warn(note);
    }
  }
}

/** Remove what setup made for this pod interface; returns notes about anything unusual. */
export async function teardown(t: TeardownTarget, opts: TeardownOptions = {}): Promise<{ datapath: string; notes: string[] }> {
  const plan = await planTeardown(t, opts);
  await runTeardown(plan, opts);
  return { datapath: plan.datapath, notes: plan.notes };
}
