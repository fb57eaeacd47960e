/**
 * Unknown fields in a Kubernetes object (a misspelt `mountPropagtion` that
 * the API server would drop or refuse), found by walking the object along
 * @kubernetes/client-node's generated models, which list every field of
 * every type. kubernetes-models' schemas check types and required fields but
 * let unknown fields through; the two checks together are what
 * `kubectl apply --validate=strict` does.
 */
import * as k8s from '@kubernetes/client-node';

type AttributeMap = Array<{ baseName: string; type: string }>;
const models = k8s as unknown as Record<string, { attributeTypeMap?: AttributeMap } | undefined>;

/** The client-node model of a kind: `apps/v1` DaemonSet → V1DaemonSet. */
export const modelName = (apiVersion: string, kind: string) => {
  const version = apiVersion.split('/').pop()!;
  return `${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}`;
};

export const hasModel = (type: string) => Boolean(models[type]?.attributeTypeMap);

/** Paths of fields the type does not have. */
export function unknownFields(value: unknown, type: string, path = ''): string[] {
  if (value === null || value === undefined || typeof value !== 'object') return [];
  const array = /^Array<(.+)>$/.exec(type);
  if (array) return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(v, array[1]!, `${path}[${i}]`)) : [];
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return Object.entries(value).flatMap(([k, v]) => unknownFields(v, map[1]!, `${path}.${k}`));
  const attributes = models[type]?.attributeTypeMap;
  if (!attributes) return [];
  const known = new Map(attributes.map((a) => [a.baseName, a.type]));
  return Object.entries(value).flatMap(([k, v]) => (known.has(k) ? unknownFields(v, known.get(k)!, `${path}.${k}`) : [`${path}.${k}`.replace(/^\./, '')]));
}
