/**
 * A one-node vpc-sim for the benches that run the agent or the keeper on a
 * node: `up`, the pool config that fits it (its subnet, security group, RAM
 * role and OpenAPI endpoint; a pool of 5), and `down`. `postClusterConfig`
 * puts that config where the agent reads it (the cello-config ConfigMap);
 * the keeper alone reads it from a file.
 */
import { bin, must, run } from '@cello/testkit';

export interface BenchSim {
  name: string;
  /** The cluster config (docs/config.md) for this sim. */
  conf: Record<string, unknown>;
  down(): Promise<void>;
}

export async function benchSim(name: string): Promise<BenchSim> {
  const vpcSim = bin('vpc-sim');
  const info = JSON.parse(String((await must(vpcSim, ['up', '--name', name, '--nodes', '1', '--json'])).stdout));
  return {
    name,
    conf: {
      subnets: [info.subnets[0].id],
      securityGroups: [info.securityGroups[0].id],
      ramRole: info.metadata.ramRole,
      openApiAddress: info.openapi.endpoint,
      poolTarget: 5,
      poolTargetMin: 5,
    },
    down: async () => {
      await run(vpcSim, ['down', '--name', name]);
    },
  };
}

/** The sim's config as the cello-config ConfigMap in kube-system, as `cello-agent run` reads it. */
export async function postClusterConfig(sim: BenchSim): Promise<void> {
  const configMap = { metadata: { name: 'cello-config', namespace: 'kube-system' }, data: { conf: JSON.stringify(sim.conf) } };
  await must(bin('vpc-sim'), ['k8s', '--name', sim.name, 'POST', '/api/v1/namespaces/kube-system/configmaps', '--data', JSON.stringify(configMap)]);
}
