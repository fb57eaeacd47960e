/**
 * Helpers for the tests that run cello-eni on vpc-sim nodes (the sim itself
 * comes from @cello/testkit/sim): the config written where the tool looks by default (the node's
 * /etc/cello/conf), the tool and cello-ipam run inside a node, and the
 * cloud's and cello-ipam's views of a node side by side.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Test } from 'tap';
import { bin } from '@cello/testkit';
import { nodePath } from '@cello/testkit/sim';
import type { Sim } from '@cello/vpc-sim';

/** Short retry schedules so tests under faults take seconds, not minutes. */
export const FAST_BACKOFF = {
  write: { initialMs: 100, maxMs: 1000, steps: 10 },
  describe: { initialMs: 100, maxMs: 1000, steps: 10 },
  wait: { initialMs: 50, maxMs: 500 },
};

export const nodeInfo = (sim: Sim, node: string) => {
  const n = sim.info.nodes.find((x) => x.name === node);
  if (!n) throw new Error(`no node ${node}`);
  return n;
};

/** The cluster config a node's keeper would read: the sim's subnets and group, its RAM role, its OpenAPI. */
export function baseConf(sim: Sim, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subnets: sim.info.subnets.map((s) => s.id),
    securityGroups: sim.info.securityGroups.map((g) => g.id),
    ramRole: sim.info.metadata.ramRole,
    openApiAddress: sim.info.openapi.endpoint,
    ipCooldownSec: 0,
    backoff: FAST_BACKOFF,
    ...extra,
  };
}

export function writeConf(sim: Sim, node: string, conf: Record<string, unknown>, file = '/etc/cello/conf'): void {
  const p = nodePath(sim, node, file);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, `${JSON.stringify(conf, null, 2)}\n`);
}

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

function parsed(r: { code: number; stdout: string; stderr: string }): Ran {
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { ...r, json };
}

/** bin/cello-eni on a node (stdout piped, so JSON). */
export async function eni(sim: Sim, node: string, args: string[], input?: string, env?: Record<string, string>): Promise<Ran> {
  return parsed(await sim.exec(node, [bin('cello-eni'), ...args], { input, ...(env ? { env } : {}) }));
}

export async function ipam(sim: Sim, node: string, args: string[], input?: string): Promise<Ran> {
  return parsed(await sim.exec(node, [bin('cello-ipam'), ...args], { input }));
}

/**
 * The sim's ENIs created for a node's instance (by our tag), with their
 * state. One in `Deleting` was given back (the keeper's DeleteNetworkInterface
 * succeeded; the cloud finishes it on its own) and is not counted.
 */
export async function cloudEnis(sim: Sim, node: string) {
  const id = nodeInfo(sim, node).instanceId;
  const state = await sim.control.state();
  return state.enis.filter((e) => e.status !== 'Deleting' && e.tags.some((t) => t.Key.endsWith(':ecs-id') && t.Value === id));
}

/** IPs per ENI as cello-ipam has them on the node. */
export async function ipamIps(sim: Sim, node: string): Promise<Map<string, string[]>> {
  const r = await ipam(sim, node, ['list', 'ips', '-o', 'json']);
  const out = new Map<string, string[]>();
  for (const ip of (r.json ?? []) as Array<{ ip: string; eniId: string }>) out.set(ip.eniId, [...(out.get(ip.eniId) ?? []), ip.ip]);
  return out;
}

/**
 * The node agrees with the cloud and leaks nothing: every ENI made for it is
 * attached to it, cello-ipam knows exactly those ENIs with exactly the
 * cloud's addresses, and its check passes.
 */
export async function assertConsistent(t: Test, sim: Sim, node: string, what: string): Promise<void> {
  const me = nodeInfo(sim, node).instanceId;
  const cloud = await cloudEnis(sim, node);
  const notAttached = cloud.filter((e) => e.status !== 'InUse' || e.instanceId !== me);
  t.same(
    notAttached.map((e) => `${e.id}:${e.status}`),
    [],
    `${what}: no ENI of the node is left unattached (leaked)`,
  );
  const ips = await ipamIps(sim, node);
  t.same([...ips.keys()].sort(), cloud.map((e) => e.id).sort(), `${what}: cello-ipam knows exactly the cloud's ENIs`);
  for (const e of cloud) {
    const want = [e.primaryIp, ...e.secondaryIps, ...e.ipv6s].sort();
    t.same((ips.get(e.id) ?? []).sort(), want, `${what}: ${e.id} has the cloud's IPs in cello-ipam, no more, no less`);
  }
  const check = await ipam(sim, node, ['check', '-o', 'json']);
  t.equal(check.code, 0, `${what}: cello-ipam check passes ${check.stdout}`);
}

/** Free/used units as cello-ipam reports them. */
export async function poolStats(sim: Sim, node: string): Promise<{ available: number; allocations: number; enis: number }> {
  const s = (await ipam(sim, node, ['stats', '-o', 'json'])).json;
  return { available: s.totals.available, allocations: s.totals.allocations, enis: s.enis.length };
}

/** Calls in the sim's log since `since`, for one node (by source address), per action. */
export async function callsOf(sim: Sim, node: string, since = 0) {
  const ip = nodeInfo(sim, node).primaryIp;
  return (await sim.control.calls({ since })).filter((c) => c.sourceIp === ip);
}

export const countBy = <T>(list: T[], key: (x: T) => string) => list.reduce<Record<string, number>>((m, x) => ((m[key(x)] = (m[key(x)] ?? 0) + 1), m), {});
