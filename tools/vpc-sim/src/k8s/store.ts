/**
 * The object store behind the sim's Kubernetes API: one global
 * resourceVersion counter, optimistic concurrency on update, and watchers fed
 * from a bounded history so a watch can resume from a resourceVersion (410
 * Gone when it is too old, as a real API server answers).
 */
import { randomUUID } from 'node:crypto';
import { type Json, PatchError, PATCH_TYPES } from './patch.ts';
import { type ResourceDef, apiVersionOf, storeKeyOf } from './resources.ts';
import type { Matcher } from './selectors.ts';

// biome-ignore lint/suspicious/noExplicitAny: a Kubernetes object of any kind, as JSON
export type Obj = Record<string, any>;
export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export class K8sError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  toStatus() {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      details: this.details ?? {},
      code: this.code,
    };
  }
}

interface Change {
  rv: number;
  key: string;
  namespace: string;
  type: EventType;
  object: Obj;
  previous?: Obj;
}

interface Watcher {
  key: string;
  namespace?: string;
  match: Matcher;
  send(type: EventType, object: Obj): void;
}

const HISTORY = 20_000;
const MAX_EVENTS = 5_000;

export class K8sStore {
  private rv = 1;
  private readonly objects = new Map<string, Map<string, Obj>>();
  private history: Change[] = [];
  private readonly watchers = new Set<Watcher>();

  get resourceVersion(): string {
    return String(this.rv);
  }

  private bucket(r: ResourceDef): Map<string, Obj> {
    const key = storeKeyOf(r);
    let b = this.objects.get(key);
    if (!b) this.objects.set(key, (b = new Map()));
    return b;
  }

  private notFound(r: ResourceDef, name: string) {
    return new K8sError(404, 'NotFound', `${r.plural} "${name}" not found`, { name, kind: r.plural });
  }

  list(r: ResourceDef, namespace: string | undefined, match: Matcher): Obj[] {
    return [...this.bucket(r).values()]
      .filter((o) => (!namespace || o.metadata.namespace === namespace) && match(o))
      .map((o) => this.present(r, o))
      .sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`));
  }

  get(r: ResourceDef, namespace: string, name: string): Obj {
    const o = this.bucket(r).get(`${namespace}/${name}`);
    if (!o) throw this.notFound(r, name);
    return this.present(r, o);
  }

  create(r: ResourceDef, namespace: string, body: Obj): Obj {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new K8sError(400, 'BadRequest', 'the body must be a JSON object');
    const meta = { ...(body.metadata ?? {}) };
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomUUID().slice(0, 5)}`;
    if (!meta.name || typeof meta.name !== 'string') throw new K8sError(422, 'Invalid', `${r.kind} metadata.name: Required value`);
    if (r.namespaced && meta.namespace && meta.namespace !== namespace) {
      throw new K8sError(400, 'BadRequest', `the namespace of the object (${meta.namespace}) does not match the namespace on the request (${namespace})`);
    }
    const id = `${namespace}/${meta.name}`;
    if (this.bucket(r).has(id)) throw new K8sError(409, 'AlreadyExists', `${r.plural} "${meta.name}" already exists`, { name: meta.name, kind: r.plural });
    delete meta.resourceVersion;
    const obj: Obj = {
      ...structuredClone(body),
      kind: r.kind,
      apiVersion: apiVersionOf(r),
      metadata: { ...meta, ...(r.namespaced ? { namespace } : {}), uid: randomUUID(), creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
    };
    if (r.kind === 'Pod') obj.status = { phase: 'Pending', ...(obj.status ?? {}) };
    if (r.kind === 'Namespace') obj.status = { phase: 'Active' };
    this.commit(r, namespace, 'ADDED', obj);
    if (storeKeyOf(r) === 'events') this.trimEvents(r);
    return this.present(r, obj);
  }

  /** PUT: the whole object (or only its status with `status`). */
  replace(r: ResourceDef, namespace: string, name: string, body: Obj, opts: { status?: boolean } = {}): Obj {
    const old = this.bucket(r).get(`${namespace}/${name}`);
    if (!old) throw this.notFound(r, name);
    if (!body || typeof body !== 'object') throw new K8sError(400, 'BadRequest', 'the body must be a JSON object');
    const want = body.metadata?.resourceVersion;
    if (want !== undefined && want !== '' && want !== old.metadata.resourceVersion) {
      throw new K8sError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${r.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name, kind: r.plural },
      );
    }
    if (body.metadata?.name && body.metadata.name !== name)
      throw new K8sError(400, 'BadRequest', `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
    return this.update(r, namespace, old, structuredClone(body), opts.status);
  }

  patch(r: ResourceDef, namespace: string, name: string, contentType: string, patch: unknown, opts: { status?: boolean } = {}): Obj {
    const old = this.bucket(r).get(`${namespace}/${name}`);
    if (!old) throw this.notFound(r, name);
    const apply = PATCH_TYPES[contentType as keyof typeof PATCH_TYPES];
    if (!apply)
      throw new K8sError(
        415,
        'UnsupportedMediaType',
        `the patch content type ${contentType} is not supported (json-patch, merge-patch, strategic-merge-patch)`,
      );
    let next: Json;
    try {
      next = apply(structuredClone(old) as Json, patch);
    } catch (err) {
      if (err instanceof PatchError) throw new K8sError(422, 'Invalid', err.message);
      throw err;
    }
    const want = (next as Obj)?.metadata?.resourceVersion;
    if (want !== undefined && want !== old.metadata.resourceVersion) {
      throw new K8sError(409, 'Conflict', `Operation cannot be fulfilled on ${r.plural} "${name}": the object has been modified`, { name, kind: r.plural });
    }
    return this.update(r, namespace, old, next as Obj, opts.status);
  }

  delete(r: ResourceDef, namespace: string, name: string, preconditions: { uid?: string; resourceVersion?: string } = {}): Obj {
    const b = this.bucket(r);
    const old = b.get(`${namespace}/${name}`);
    if (!old) throw this.notFound(r, name);
    for (const key of ['uid', 'resourceVersion'] as const) {
      const want = preconditions[key];
      if (want && want !== old.metadata[key]) {
        throw new K8sError(409, 'Conflict', `Precondition failed on ${r.plural} "${name}": ${key} is ${old.metadata[key]}, the delete wanted ${want}`, {
          name,
          kind: r.plural,
        });
      }
    }
    b.delete(`${namespace}/${name}`);
    const gone = { ...old, metadata: { ...old.metadata } };
    this.commit(r, namespace, 'DELETED', gone, old, false);
    return this.present(r, gone);
  }

  /**
   * Subscribe to changes. Without `fromRv` (or with "0") every current object
   * is sent first as ADDED; with a resourceVersion, the changes after it.
   */
  watch(r: ResourceDef, namespace: string | undefined, match: Matcher, fromRv: string | undefined, send: Watcher['send']): () => void {
    const key = storeKeyOf(r);
    if (!fromRv || fromRv === '0') {
      for (const o of this.list(r, namespace, match)) send('ADDED', o);
    } else {
      const n = Number(fromRv);
      if (!Number.isInteger(n)) throw new K8sError(400, 'BadRequest', `resourceVersion ${fromRv} is not valid`);
      const oldest = this.history[0]?.rv ?? this.rv;
      if (n < oldest - 1) throw new K8sError(410, 'Expired', `too old resource version: ${n} (${oldest - 1})`);
      for (const c of this.history) if (c.rv > n && c.key === key) this.deliver({ namespace, match, send }, c, r);
    }
    const w: Watcher = { key, namespace, match, send };
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  private update(r: ResourceDef, namespace: string, old: Obj, next: Obj, statusOnly = false): Obj {
    const meta = { ...(next.metadata ?? {}) };
    const obj: Obj = statusOnly ? { ...structuredClone(old), status: next.status } : { ...next };
    if (!statusOnly && r.hasStatus) obj.status = structuredClone(old.status);
    obj.kind = r.kind;
    obj.apiVersion = apiVersionOf(r);
    obj.metadata = statusOnly
      ? { ...old.metadata }
      : { ...meta, name: old.metadata.name, uid: old.metadata.uid, creationTimestamp: old.metadata.creationTimestamp, ...(r.namespaced ? { namespace } : {}) };
    if (
      JSON.stringify({ ...obj, metadata: { ...obj.metadata, resourceVersion: '' } }) ===
      JSON.stringify({ ...old, metadata: { ...old.metadata, resourceVersion: '' } })
    ) {
      return this.present(r, old);
    }
    this.commit(r, namespace, 'MODIFIED', obj, old);
    return this.present(r, obj);
  }

  private commit(r: ResourceDef, namespace: string, type: EventType, obj: Obj, previous?: Obj, store = true) {
    obj.metadata.resourceVersion = String(++this.rv);
    if (store) this.bucket(r).set(`${namespace}/${obj.metadata.name}`, obj);
    const change: Change = { rv: this.rv, key: storeKeyOf(r), namespace, type, object: obj, previous };
    this.history.push(change);
    if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY);
    for (const w of this.watchers) if (w.key === change.key) this.deliver(w, change, r);
  }

  /** A change as one watcher sees it: objects moving in or out of its selector become ADDED/DELETED. */
  private deliver(w: Pick<Watcher, 'namespace' | 'match' | 'send'>, c: Change, r: ResourceDef) {
    if (w.namespace && c.object.metadata.namespace !== w.namespace) return;
    const now = c.type !== 'DELETED' && w.match(c.object);
    const before = c.previous !== undefined && w.match(c.previous);
    try {
      if (c.type === 'ADDED' && now) w.send('ADDED', this.present(r, c.object));
      else if (c.type === 'DELETED' && before) w.send('DELETED', this.present(r, c.object));
      else if (c.type === 'MODIFIED') {
        if (now && before) w.send('MODIFIED', this.present(r, c.object));
        else if (now) w.send('ADDED', this.present(r, c.object));
        else if (before) w.send('DELETED', this.present(r, c.object));
      }
    } catch {
      // A watcher whose connection broke is removed by its own close handler.
    }
  }

  private trimEvents(r: ResourceDef) {
    const b = this.bucket(r);
    while (b.size > MAX_EVENTS) {
      const [id, oldest] = b.entries().next().value as [string, Obj];
      b.delete(id);
      this.commit(r, oldest.metadata.namespace, 'DELETED', oldest, oldest, false);
    }
  }

  /** A copy with the kind/apiVersion of the resource it is read through. */
  private present(r: ResourceDef, o: Obj): Obj {
    return { ...structuredClone(o), kind: r.kind, apiVersion: apiVersionOf(r) };
  }

  closeAll(): void {
    this.watchers.clear();
  }
}
