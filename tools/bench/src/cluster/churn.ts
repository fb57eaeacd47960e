/**
 * Pods coming and going through the CNI binary, as containerd drives it
 * (libcni, test/bin/libcni-driver), on a sample of nodes whose keepers run:
 * each node adds `add` pods and deletes the `del` oldest, `rounds` times.
 * `between` runs after the first round (the node loss happens there).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { must, repoRoot, run } from '@cello/testkit';
import { libcniInNode } from '@cello/testkit/sim';
import type { Sim } from './sim.ts';

export interface ChurnReport {
  adds: number;
  addFailures: number;
  dels: number;
  delFailures: number;
  /** ms per ADD, every one. */
  addMs: number[];
  failures: string[];
}

/** Put the conflist in the node's /etc/cni/net.d. */
export function installConflist(sim: Sim, node: string): void {
  const dir = `/run/vpc-sim/${sim.info.name}/nodes/${node}/root/etc/cni/net.d`;
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(repoRoot, 'manifests/cni/10-cello.conflist'), join(dir, '10-cello.conflist'));
}

const cni = (sim: Sim, node: string, verb: 'add' | 'del', pod: string) =>
  libcniInNode(sim, node, verb, { netns: `/var/run/netns/${pod}`, id: pod, podNamespace: 'bench' });

export async function churn(
  sim: Sim,
  nodes: string[],
  o: { rounds: number; add: number; del: number; between?: () => Promise<void> },
): Promise<ChurnReport & { leftPods: Array<{ node: string; pod: string }> }> {
  const r: ChurnReport = { adds: 0, addFailures: 0, dels: 0, delFailures: 0, addMs: [], failures: [] };
  const pods = new Map<string, string[]>(nodes.map((n) => [n, []]));
  let seq = 0;
  const prefix = `${sim.info.name}p`;
  const one = async (node: string) => {
    const mine = pods.get(node)!;
    for (let i = 0; i < o.add; i++) {
      const pod = `${prefix}${++seq}`;
      await must('ip', ['netns', 'add', pod]);
      const t0 = performance.now();
      const a = await cni(sim, node, 'add', pod);
      r.adds++;
      if (a.code === 0) {
        r.addMs.push(performance.now() - t0);
        mine.push(pod);
      } else {
        r.addFailures++;
        r.failures.push(`ADD ${pod} on ${node}: ${(a.stdout + a.stderr).slice(-300)}`);
        await cni(sim, node, 'del', pod);
        await run('ip', ['netns', 'del', pod]);
      }
    }
    for (const pod of mine.splice(0, o.del)) {
      const d = await cni(sim, node, 'del', pod);
      r.dels++;
      if (d.code !== 0) {
        r.delFailures++;
        r.failures.push(`DEL ${pod} on ${node}: ${(d.stdout + d.stderr).slice(-300)}`);
      }
      await run('ip', ['netns', 'del', pod]);
    }
  };
  for (let round = 0; round < o.rounds; round++) {
    await Promise.all(nodes.map(one));
    if (round === 0) await o.between?.();
  }
  return { ...r, leftPods: [...pods].flatMap(([node, ps]) => ps.map((pod) => ({ node, pod }))) };
}

/** Delete what churn left (pods of deleted nodes: only their netns). */
export async function cleanupPods(sim: Sim, left: Array<{ node: string; pod: string }>, live: Set<string>): Promise<void> {
  for (const { node, pod } of left) {
    if (live.has(node)) await cni(sim, node, 'del', pod);
    await run('ip', ['netns', 'del', pod]);
  }
}
