/**
 * The Kubernetes objects a fresh sim starts with: the usual namespaces and
 * one Ready Node per sim node. A Node's name is the node name (`node1`, …);
 * `spec.providerID` is `volcengine://<zone>/<instance id>` and the
 * annotation `vpc-sim/instance-id` carries the instance id too.
 */
import type { Cloud } from '../cloud/cloud.ts';
import type { Instance } from '../cloud/types.ts';
import { RESOURCES } from './resources.ts';
import type { K8sStore } from './store.ts';

const resource = (plural: string) => RESOURCES.find((r) => r.plural === plural && r.group === '')!;

function nodeObject(cloud: Cloud, i: Instance) {
  const type = cloud.instanceType(i.typeId);
  const primary = cloud.enis.get(i.primaryEniId);
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    metadata: {
      name: i.node,
      labels: {
        'kubernetes.io/hostname': i.node,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': i.typeId,
        'topology.kubernetes.io/region': cloud.world.region,
        'topology.kubernetes.io/zone': i.zoneId,
      },
      annotations: { 'vpc-sim/instance-id': i.id },
    },
    spec: { providerID: `volcengine://${i.zoneId}/${i.id}` },
    status: {
      capacity: { cpu: String(type.cpus), memory: `${type.memoryMb}Mi`, pods: '110' },
      allocatable: { cpu: String(type.cpus), memory: `${type.memoryMb}Mi`, pods: '110' },
      addresses: [
        { type: 'InternalIP', address: primary?.primaryIp ?? '' },
        { type: 'Hostname', address: i.node },
      ],
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'vpc-sim node is ready', lastHeartbeatTime: now, lastTransitionTime: now },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.30.0',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        kernelVersion: 'sim',
        containerRuntimeVersion: 'none',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

export function seedKubernetes(store: K8sStore, cloud: Cloud): void {
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) store.create(resource('namespaces'), '', { metadata: { name: ns } });
  for (const i of cloud.instances.values()) store.create(resource('nodes'), '', nodeObject(cloud, i));
}

export function deleteNodeObject(store: K8sStore, node: string): boolean {
  try {
    store.delete(resource('nodes'), '', node);
    return true;
  } catch {
    return false;
  }
}
