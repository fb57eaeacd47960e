/**
 * PodAddress (`cello.volcengine.com/v1alpha1`, namespaced, named after its
 * pod): where the fixed address of a pod of a Fixed PodNetwork is now
 * (docs/podnetworks.md, "Fixed addresses"). The pod's name is its identity,
 * so a StatefulSet pod recreated on another node finds its address here.
 *
 * The node that holds the address writes it (cello-agent, after the
 * address is on one of its ENIs); the node a recreated pod lands on takes
 * it over (rewrites nodeName, on the resourceVersion it read) before it
 * moves the address from the ENI it names; the holder deletes it when it
 * releases the address, only while it still names the holder. The cloud
 * keeps an address on one ENI at a time; this object says who may act on it.
 *
 * One parser, used wherever an object is read from the API: a refusal names
 * the object and the field. No imports beyond records' own.
 */
import { canonicalIp, isIPv4 } from './ip.ts';
import { RecordError } from './parse.ts';
import { POD_NETWORK_RESOURCE } from './pod-network.ts';
import { podNetworkNameProblem } from './inputs.ts';

export const POD_ADDRESS_RESOURCE = {
  group: POD_NETWORK_RESOURCE.group,
  version: POD_NETWORK_RESOURCE.version,
  plural: 'podaddresses',
  kind: 'PodAddress',
} as const;

export interface PodAddressSpec {
  /** The Fixed PodNetwork the address belongs to. */
  podNetwork: string;
  /** The IPv4 address. */
  ip: string;
  /** Its subnet (a new holder needs an ENI there). */
  subnetId: string;
  /** The node that holds it, or is taking it over. */
  nodeName: string;
  /** The ENI it is on now. */
  eniId: string;
}

export interface PodAddressRecord {
  namespace: string;
  /** The pod's name. */
  name: string;
  /** For an update that must not overwrite a newer one. */
  resourceVersion?: string;
  spec: PodAddressSpec;
}

const SPEC_KEYS: ReadonlyArray<keyof PodAddressSpec> = ['podNetwork', 'ip', 'subnetId', 'nodeName', 'eniId'];

/** A PodAddress object from the API, checked. */
export function parsePodAddress(obj: unknown): PodAddressRecord {
  const o = (obj ?? {}) as { metadata?: { name?: unknown; namespace?: unknown; resourceVersion?: unknown }; spec?: unknown };
  const name = typeof o.metadata?.name === 'string' ? o.metadata.name : '';
  const namespace = typeof o.metadata?.namespace === 'string' ? o.metadata.namespace : '';
  const fail = (field: string, problem: string): never => {
    throw new RecordError(`podaddress ${namespace}/${name}: ${field}`, problem);
  };
  if (!name) fail('metadata.name', 'is required (the pod name)');
  if (!namespace) fail('metadata.namespace', 'is required (the pod namespace)');
  const spec = o.spec as Record<string, unknown> | undefined;
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return fail('spec', 'must be an object');
  for (const k of SPEC_KEYS) if (typeof spec[k] !== 'string' || spec[k] === '') fail(`spec.${k}`, 'must be a non-empty string');
  const problem = podNetworkNameProblem(spec.podNetwork as string);
  if (problem) fail('spec.podNetwork', problem);
  if (!isIPv4(spec.ip as string)) fail('spec.ip', `${JSON.stringify(spec.ip)} is not an IPv4 address`);
  const rv = o.metadata?.resourceVersion;
  return {
    namespace,
    name,
    ...(typeof rv === 'string' && rv ? { resourceVersion: rv } : {}),
    spec: {
      podNetwork: spec.podNetwork as string,
      ip: canonicalIp(spec.ip as string),
      subnetId: spec.subnetId as string,
      nodeName: spec.nodeName as string,
      eniId: spec.eniId as string,
    },
  };
}

/** The object to create or replace (with `resourceVersion`, a replace fails if someone changed it since). */
export function podAddressObject(r: PodAddressRecord): Record<string, unknown> {
  const { group, version, kind } = POD_ADDRESS_RESOURCE;
  return {
    apiVersion: `${group}/${version}`,
    kind,
    metadata: { name: r.name, namespace: r.namespace, ...(r.resourceVersion ? { resourceVersion: r.resourceVersion } : {}) },
    spec: r.spec,
  };
}
