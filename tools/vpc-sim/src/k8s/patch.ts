/**
 * The three patch types a client may send:
 * - JSON merge patch (RFC 7386): objects merge, `null` deletes, lists replace;
 * - strategic merge patch: like merge, but lists of objects with a known
 *   merge key (conditions by `type`, containers by `name`, …) merge item by item;
 * - JSON patch (RFC 6902): add, remove, replace, move, copy, test.
 */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

export class PatchError extends Error {}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

/** Merge keys of the list fields our objects use (from the Kubernetes API's patchMergeKey tags). */
const MERGE_KEYS: Record<string, string> = {
  conditions: 'type',
  addresses: 'type',
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  containerStatuses: 'name',
  initContainerStatuses: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  taints: 'key',
  tolerations: 'key',
  ownerReferences: 'uid',
  podIPs: 'ip',
  hostIPs: 'ip',
};

function strategicMergePatch(target: Json, patch: Json, field = ''): Json {
  if (Array.isArray(patch)) {
    const key = MERGE_KEYS[field];
    if (!key || !Array.isArray(target) || !patch.every(isObject)) return structuredClone(patch);
    const out = target.map((x) => structuredClone(x));
    for (const item of patch as JsonObject[]) {
      const i = out.findIndex((x) => isObject(x) && x[key] === item[key]);
      if (item.$patch === 'delete') {
        if (i >= 0) out.splice(i, 1);
      } else if (i >= 0) out[i] = strategicMergePatch(out[i]!, item);
      else out.push(structuredClone(item));
    }
    return out;
  }
  if (!isObject(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return structuredClone(rest);
  }
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else out[k] = strategicMergePatch(out[k] ?? null, v, k);
  }
  return out;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`JSON pointer "${path}" must start with /`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, parts: string[], op: string): { parent: JsonObject | Json[]; key: string } {
  let cur: Json = doc;
  for (const p of parts.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(cur) ? cur[Number(p)] : isObject(cur) ? cur[p] : undefined;
    if (next === undefined) throw new PatchError(`${op}: the path /${parts.join('/')} does not exist`);
    cur = next;
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw new PatchError(`${op}: /${parts.join('/')} is not inside an object or list`);
  return { parent: cur, key: parts.at(-1)! };
}

function getAt(doc: Json, path: string, op: string): Json {
  let cur: Json = doc;
  for (const p of pointer(path)) {
    const next: Json | undefined = Array.isArray(cur) ? cur[Number(p)] : isObject(cur) ? cur[p] : undefined;
    if (next === undefined) throw new PatchError(`${op}: the path ${path} does not exist`);
    cur = next;
  }
  return cur;
}

function removeAt(doc: Json, path: string, op: string): Json {
  const { parent, key } = parentOf(doc, pointer(path), op);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!(i >= 0 && i < parent.length)) throw new PatchError(`${op}: no list item at ${path}`);
    return parent.splice(i, 1)[0]!;
  }
  if (!(key in parent)) throw new PatchError(`${op}: the path ${path} does not exist`);
  const v = parent[key]!;
  delete parent[key];
  return v;
}

function addAt(doc: Json, path: string, value: Json, op: string, replace = false): Json {
  const parts = pointer(path);
  if (!parts.length) return value;
  const { parent, key } = parentOf(doc, parts, op);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!(i >= 0 && i <= parent.length)) throw new PatchError(`${op}: index ${key} is out of range at ${path}`);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else {
    if (replace && !(key in parent)) throw new PatchError(`${op}: the path ${path} does not exist`);
    parent[key] = value;
  }
  return doc;
}

function jsonPatch(target: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch must be a list of operations');
  let doc = structuredClone(target);
  for (const raw of ops) {
    const o = raw as { op?: string; path?: string; from?: string; value?: Json };
    if (typeof o.path !== 'string') throw new PatchError(`operation ${JSON.stringify(raw)} has no path`);
    switch (o.op) {
      case 'add':
        doc = addAt(doc, o.path, structuredClone(o.value ?? null), 'add');
        break;
      case 'replace':
        if (o.path === '') doc = structuredClone(o.value ?? null);
        else addAt(doc, o.path, structuredClone(o.value ?? null), 'replace', true);
        break;
      case 'remove':
        removeAt(doc, o.path, 'remove');
        break;
      case 'move':
      case 'copy': {
        if (typeof o.from !== 'string') throw new PatchError(`${o.op} needs "from"`);
        const v = o.op === 'move' ? removeAt(doc, o.from, 'move') : structuredClone(getAt(doc, o.from, 'copy'));
        doc = addAt(doc, o.path, v, o.op);
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(doc, o.path, 'test')) !== JSON.stringify(o.value)) throw new PatchError(`test failed at ${o.path}`);
        break;
      default:
        throw new PatchError(`unknown JSON patch op ${JSON.stringify(o.op)}`);
    }
  }
  return doc;
}

export const PATCH_TYPES = {
  'application/json-patch+json': (t: Json, p: unknown) => jsonPatch(t, p),
  'application/merge-patch+json': (t: Json, p: unknown) => mergePatch(t, p as Json),
  'application/strategic-merge-patch+json': (t: Json, p: unknown) => strategicMergePatch(t, p as Json),
} as const;

export type { Json, JsonObject };
