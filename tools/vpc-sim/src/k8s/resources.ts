/** The Kubernetes resource kinds the sim's API server knows. */
export interface ResourceDef {
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  /** Whether PUT/PATCH on the main resource keep the stored status (it has a /status subresource). */
  hasStatus: boolean;
}

const def = (group: string, version: string, plural: string, kind: string, namespaced: boolean, hasStatus = false): ResourceDef => ({
  group,
  version,
  plural,
  kind,
  namespaced,
  hasStatus,
});

export const RESOURCES: ResourceDef[] = [
  def('', 'v1', 'nodes', 'Node', false, true),
  def('', 'v1', 'namespaces', 'Namespace', false, true),
  def('', 'v1', 'pods', 'Pod', true, true),
  def('', 'v1', 'configmaps', 'ConfigMap', true),
  def('', 'v1', 'secrets', 'Secret', true),
  def('', 'v1', 'serviceaccounts', 'ServiceAccount', true),
  def('', 'v1', 'services', 'Service', true, true),
  def('', 'v1', 'endpoints', 'Endpoints', true),
  def('', 'v1', 'events', 'Event', true),
  def('events.k8s.io', 'v1', 'events', 'Event', true),
  def('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  def('cello.volcengine.com', 'v1alpha1', 'podnetworks', 'PodNetwork', false, true),
  def('cello.volcengine.com', 'v1alpha1', 'podaddresses', 'PodAddress', true),
];

export const apiVersionOf = (r: ResourceDef) => (r.group ? `${r.group}/${r.version}` : r.version);

/** Events of both groups share one store, as in a real API server. */
export const storeKeyOf = (r: ResourceDef) => (r.plural === 'events' ? 'events' : `${r.group}/${r.plural}`);

export function findResource(group: string, version: string, plural: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}
