/**
 * A cello node on vpc-sim, as the gc tests need it: cello-config written into
 * the node's /etc/cello, the real pool keeper (bin/cello-eni pool), pods added
 * and deleted through the real bin/cello-cni with real network namespaces and
 * Kubernetes Pod objects in the sim's API, and bin/cello-gc run on the node.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Allocation, openStore } from '@cello/cello-ipam';
import { bin, run, uniqueName } from '@cello/testkit';
import { NO_DELAYS, nodePath } from '@cello/testkit/sim';
import { type Sim, type SimState, startSim, uniqueSimName } from '@cello/vpc-sim';
import type { SweepReport } from '../src/index.ts';

export const CLUSTER = 'gc-test';

export interface Pod {
  namespace: string;
  name: string;
  containerId: string;
  netnsName: string;
  netns: string;
  ip?: string;
}

export interface GcSim {
  sim: Sim;
  /** The host path of a node's private directory (its /var/lib/cello is `${root}/var/lib/cello`). */
  root(node: string): string;
  stateDir(node: string): string;
  writeConfig(node: string, overrides?: Record<string, unknown>): void;
  keeper(node: string, args?: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  spawnKeeper(node: string, args?: string[]): ChildProcess;
  /** A pod object in Kubernetes and a netns (not yet added). */
  newPod(node: string, name?: string): Promise<Pod>;
  createPodObject(node: string, pod: Pod): Promise<void>;
  deletePodObject(pod: Pod): Promise<void>;
  cni(node: string, verb: 'ADD' | 'DEL', pod: Pod): Promise<{ code: number; stdout: string; stderr: string }>;
  spawnCni(node: string, verb: 'ADD' | 'DEL', pod: Pod): ChildProcess;
  removeNetns(pod: Pod): Promise<void>;
  gc(node: string, args: string[]): Promise<{ code: number; report: SweepReport; stderr: string }>;
  allocations(node: string): Allocation[];
  state(): Promise<SimState>;
  instanceId(node: string): string;
  /** From a pod, GET the metadata service's instance_id: proves pod → VPC → pod routing. */
  reach(pod: Pod): Promise<string>;
  down(): Promise<void>;
}

const CONF = JSON.stringify({ cniVersion: '1.0.0', name: 'cello', type: 'cello-cni', logFile: '', poolWaitSec: 5 });

export async function gcSim(nodes: number, simConfig: Record<string, unknown> = {}): Promise<GcSim> {
  const sim = await startSim({ name: uniqueSimName('gc'), nodes, config: { delaysMs: NO_DELAYS, ...simConfig } });
  const netnses = new Set<string>();
  const root = (node: string) => nodePath(sim, node, '/');
  const onNode = (node: string, cmd: string[], input?: string) => sim.exec(node, cmd, input === undefined ? {} : { input });
  const cniEnv = (verb: string, pod: Pod) => [
    'env',
    `CNI_COMMAND=${verb}`,
    `CNI_CONTAINERID=${pod.containerId}`,
    `CNI_NETNS=${pod.netns}`,
    'CNI_IFNAME=eth0',
    'CNI_PATH=/usr/lib/cni',
    `CNI_ARGS=K8S_POD_NAMESPACE=${pod.namespace};K8S_POD_NAME=${pod.name};K8S_POD_INFRA_CONTAINER_ID=${pod.containerId}`,
    bin('cello-cni'),
  ];

  const g: GcSim = {
    sim,
    root,
    stateDir: (node) => join(root(node), 'var/lib/cello'),
    writeConfig(node, overrides = {}) {
      const conf = {
        subnets: sim.info.subnets.map((s) => s.id),
        securityGroups: [sim.info.securityGroups[0]!.id],
        ramRole: sim.info.metadata.ramRole,
        openApiAddress: sim.info.openapi.endpoint,
        platform: 'kubernetes',
        clusterName: CLUSTER,
        datapath: 'veth',
        ipCooldownSec: 0,
        poolTarget: 2,
        poolTargetMin: 4,
        waitTimeoutSec: 20,
        ...overrides,
      };
      mkdirSync(join(root(node), 'etc/cello'), { recursive: true });
      writeFileSync(join(root(node), 'etc/cello/conf'), JSON.stringify(conf));
    },
    keeper: (node, args = ['--once']) => onNode(node, [bin('cello-eni'), 'pool', ...args, '-o', 'json']),
    spawnKeeper: (node, args = ['--watch']) => sim.spawn(node, [bin('cello-eni'), 'pool', ...args, '-o', 'json']),
    async newPod(_node, name = uniqueName('pod')) {
      const netnsName = uniqueName('gcp');
      const r = await run('ip', ['netns', 'add', netnsName]);
      if (r.exitCode !== 0) throw new Error(`ip netns add ${netnsName}: ${String(r.stderr)}`);
      netnses.add(netnsName);
      await run('ip', ['-n', netnsName, 'link', 'set', 'lo', 'up']);
      return { namespace: 'default', name, containerId: uniqueName('ctr'), netnsName, netns: `/var/run/netns/${netnsName}` };
    },
    async createPodObject(node, pod) {
      const body = { metadata: { name: pod.name, namespace: pod.namespace }, spec: { nodeName: node, containers: [{ name: 'app', image: 'app' }] } };
      const r = await sim.control.k8s('POST', `/api/v1/namespaces/${pod.namespace}/pods`, body);
      if (r.status >= 300 && r.status !== 409) throw new Error(`create pod ${pod.name}: ${r.status} ${JSON.stringify(r.body)}`);
    },
    async deletePodObject(pod) {
      await sim.control.k8s('DELETE', `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}`);
    },
    async cni(node, verb, pod) {
      const r = await onNode(node, cniEnv(verb, pod), CONF);
      if (verb === 'ADD' && r.code === 0) pod.ip = (JSON.parse(r.stdout) as { ips: Array<{ address: string }> }).ips[0]!.address.split('/')[0];
      return r;
    },
    spawnCni(node, verb, pod) {
      const child = sim.spawn(node, cniEnv(verb, pod));
      child.stdin?.end(CONF);
      return child;
    },
    async removeNetns(pod) {
      await run('ip', ['netns', 'del', pod.netnsName]);
      netnses.delete(pod.netnsName);
    },
    async gc(node, args) {
      const r = await onNode(node, [bin('cello-gc'), ...args, '-o', 'json']);
      let report: SweepReport;
      try {
        report = JSON.parse(r.stdout) as SweepReport;
      } catch {
        throw new Error(`cello-gc ${args.join(' ')} printed no report (exit ${r.code}): ${r.stderr}`);
      }
      return { code: r.code, report, stderr: r.stderr };
    },
    allocations(node) {
      const store = openStore({ stateDir: g.stateDir(node) });
      try {
        return store.allocations();
      } finally {
        store.close();
      }
    },
    state: () => sim.control.state(),
    instanceId: (node) => sim.info.nodes.find((n) => n.name === node)!.instanceId,
    async reach(pod) {
      const r = await run('ip', ['netns', 'exec', pod.netnsName, 'curl', '-s', '-m', '3', `http://${sim.info.metadata.address}/latest/instance_id`]);
      if (r.exitCode !== 0) throw new Error(`pod ${pod.name} (${pod.ip}) cannot reach the VPC: curl exit ${r.exitCode} ${String(r.stderr)}`);
      return String(r.stdout).trim();
    },
    async down() {
      for (const n of netnses) await run('ip', ['netns', 'del', n]);
      await sim.down();
    },
  };
  return g;
}

/** An ENI (of `cluster`, if given) tagged for `instanceId` the way the keeper tags it, made through the owner's API (no keeper, no call budget). */
export async function createClusterEni(sim: Sim, o: { instanceId: string; cluster?: string; subnetId: string; description?: string }): Promise<string> {
  const r = await sim.api('CreateNetworkInterface', {
    SubnetId: o.subnetId,
    'SecurityGroupIds.1': sim.info.securityGroups[0]!.id,
    ...(o.description ? { Description: o.description } : {}),
    'Tags.1.Key': 'k8s:cello:created-by',
    'Tags.1.Value': 'cello',
    'Tags.2.Key': 'k8s:cello:ecs-id',
    'Tags.2.Value': o.instanceId,
    ...(o.cluster ? { 'Tags.3.Key': 'k8s:cello:cluster', 'Tags.3.Value': o.cluster } : {}),
  });
  if (!r.Result?.NetworkInterfaceId) throw new Error(`CreateNetworkInterface: ${JSON.stringify(r.ResponseMetadata?.Error)}`);
  return String(r.Result.NetworkInterfaceId);
}

/** The (kind, id) pairs of a report, sorted, for exact comparisons. */
export const kinds = (r: SweepReport) => r.findings.map((f) => `${f.kind} ${f.id}`).sort();
