/**
 * A cluster-sized vpc-sim for the cluster-scale benchmark: subnets large
 * enough for hundreds of nodes and their ENIs, an ENI quota to match, and the
 * account's flow limits as the sim's defaults unless the run overrides them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// tools/bench has no workspace dependency on @cello/vpc-sim (adding one changes
// the lockfile); the library is imported by path.
import { type Sim, startSim } from '@cello/vpc-sim';

export type { Sim };

export interface ClusterSimOptions {
  name: string;
  nodes: number;
  /** Calls per second per action for the whole account; undefined = the sim's default. */
  flowLimit?: number;
}

/** Start the sim. Nodes' primary ENIs live in a /22, pods' ENIs in two /19s. */
export async function startClusterSim(o: ClusterSimOptions): Promise<Sim> {
  const config: Record<string, unknown> = {
    subnets: [
      { name: 'nodes', cidr: '192.168.0.0/22' },
      { name: 'pods-a', cidr: '192.168.32.0/19' },
      { name: 'pods-b', cidr: '192.168.64.0/19' },
    ],
    nodeSubnet: 'nodes',
    eniQuota: Math.max(50, o.nodes * 4),
  };
  if (o.flowLimit !== undefined) config.flowLimits = o.flowLimit > 0 ? { '*': o.flowLimit } : {};
  return startSim({ name: o.name, nodes: o.nodes, config });
}

export const CLUSTER_NAME = 'bench';

/** Write a node's /etc/cello/conf (pod subnets only, the cluster tag on its ENIs). */
export function writeNodeConf(sim: Sim, node: string, extra: Record<string, unknown>): void {
  const path = `/run/vpc-sim/${sim.info.name}/nodes/${node}/root/etc/cello/conf`;
  mkdirSync(join(path, '..'), { recursive: true });
  const conf = {
    subnets: sim.info.subnets.filter((s) => s.name !== 'nodes').map((s) => s.id),
    securityGroups: sim.info.securityGroups.map((g) => g.id),
    ramRole: sim.info.metadata.ramRole,
    openApiAddress: sim.info.openapi.endpoint,
    clusterName: CLUSTER_NAME,
    ipCooldownSec: 0,
    ...extra,
  };
  writeFileSync(path, JSON.stringify(conf));
}
