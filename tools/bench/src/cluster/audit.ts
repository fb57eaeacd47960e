/**
 * The cluster audit: the cloud's state held against every node's cello-ipam
 * store. Three findings, each a list (the counts are their lengths):
 *
 * - duplicate: one IP in the stores of two nodes (or on two ENIs of one);
 * - stray:     an IP a node's store holds that the cloud does not assign to
 *              that ENI, or on an ENI the cloud does not attach to that node's
 *              instance;
 * - leak:      an ENI tagged as Cello's whose instance (its ecs-id tag) no
 *              longer exists — what the cluster sweep must have removed (one
 *              in Deleting has been given back: the cloud is deleting it).
 *
 * `audit` is pure (the test plants findings in plain records);
 * `gatherAudit` reads a running sim and its nodes' stores.
 */
import { bin } from '@cello/testkit';
import type { Sim } from './sim.ts';

export interface CloudView {
  instances: Array<{ id: string; node: string }>;
  enis: Array<{
    id: string;
    status: string;
    instanceId: string;
    primaryIp: string;
    secondaryIps: string[];
    ipv6s: string[];
    tags: Array<{ Key: string; Value: string }>;
  }>;
}

export interface StoreIp {
  ip: string;
  eniId: string;
  state: string;
}

export interface NodeStore {
  node: string;
  instanceId: string;
  ips: StoreIp[];
}

export interface AuditFinding {
  kind: 'duplicate' | 'stray' | 'leak';
  what: string;
  detail: string;
}

export interface AuditReport {
  duplicates: AuditFinding[];
  strays: AuditFinding[];
  leaks: AuditFinding[];
  checked: { nodes: number; ips: number; enis: number };
}

/** Cello's tag keys: the creator and the instance it was made for (platform kubernetes or vke). */
const CREATOR_KEYS = ['k8s:cello:created-by', 'volc:vke:created-by'];
const INSTANCE_KEYS = ['k8s:cello:ecs-id', 'volc:vke:ecs-id'];

export function audit(cloud: CloudView, stores: NodeStore[]): AuditReport {
  const r: AuditReport = { duplicates: [], strays: [], leaks: [], checked: { nodes: stores.length, ips: 0, enis: cloud.enis.length } };
  const enis = new Map(cloud.enis.map((e) => [e.id, e]));
  const seen = new Map<string, string>();
  for (const s of stores) {
    for (const ip of s.ips) {
      r.checked.ips++;
      const where = `${s.node}/${ip.eniId}`;
      const other = seen.get(ip.ip);
      if (other !== undefined) r.duplicates.push({ kind: 'duplicate', what: ip.ip, detail: `held by ${other} and ${where}` });
      else seen.set(ip.ip, where);
      const eni = enis.get(ip.eniId);
      if (!eni) r.strays.push({ kind: 'stray', what: ip.ip, detail: `${where}: the cloud has no ENI ${ip.eniId}` });
      else if (eni.instanceId !== s.instanceId)
        r.strays.push({
          kind: 'stray',
          what: ip.ip,
          detail: `${where}: ${ip.eniId} is ${eni.status}${eni.instanceId ? ` on ${eni.instanceId}` : ''}, not on ${s.instanceId}`,
        });
      else if (![eni.primaryIp, ...eni.secondaryIps, ...eni.ipv6s].includes(ip.ip))
        r.strays.push({ kind: 'stray', what: ip.ip, detail: `${where}: the cloud does not assign it to ${ip.eniId}` });
    }
  }
  const live = new Set(cloud.instances.map((i) => i.id));
  for (const e of cloud.enis) {
    const tag = (keys: string[]) => e.tags.find((t) => keys.includes(t.Key))?.Value;
    if (!tag(CREATOR_KEYS) || e.status === 'Deleting') continue;
    const owner = tag(INSTANCE_KEYS);
    if (!owner || !live.has(owner)) r.leaks.push({ kind: 'leak', what: e.id, detail: `${e.status}, made for ${owner ?? 'no instance'}, which is gone` });
  }
  return r;
}

export const auditCounts = (r: AuditReport) => ({ duplicates: r.duplicates.length, strays: r.strays.length, leaks: r.leaks.length });

/** Read the sim's cloud and `cello-ipam list` on every live node, then audit. */
export async function gatherAudit(sim: Sim, nodes: string[], parallel = 8): Promise<AuditReport> {
  const state = await sim.control.state();
  const byNode = new Map(state.instances.map((i) => [i.node, i.id]));
  const stores: NodeStore[] = [];
  const queue = nodes.filter((n) => byNode.has(n));
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let node = queue.shift(); node; node = queue.shift()) {
        const r = await sim.exec(node, [bin('cello-ipam'), 'list', '--output', 'json']);
        if (r.code !== 0) throw new Error(`cello-ipam list on ${node}: ${r.stderr.slice(-300)}`);
        stores.push({ node, instanceId: byNode.get(node)!, ips: JSON.parse(r.stdout || '[]') as StoreIp[] });
      }
    }),
  );
  return audit(state, stores);
}
