/**
 * A minimal Kubernetes API server over plain HTTP with a bearer token, enough
 * for an unmodified @kubernetes/client-node: get/list/create/replace/patch/
 * delete, watch as JSON lines (resuming from a resourceVersion),
 * label and field selectors, and the status subresource.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@cello/cli-kit';
import { type ResourceDef, RESOURCES, apiVersionOf, findResource } from './resources.ts';
import { SelectorError, fieldSelector, labelSelector } from './selectors.ts';
import { K8sError, type K8sStore, type Obj } from './store.ts';

const K8S_VERSION = { major: '1', minor: '30', gitVersion: 'v1.30.0-vpc-sim', platform: 'linux/amd64' };

interface Target {
  resource: ResourceDef;
  namespace?: string;
  name?: string;
  sub?: string;
}

interface Reply {
  status: number;
  body: unknown;
}

function discovery(segs: string[]): Reply | undefined {
  const path = segs.join('/');
  if (path === 'version') return { status: 200, body: K8S_VERSION };
  if (['healthz', 'livez', 'readyz'].includes(path)) return { status: 200, body: 'ok' };
  if (path === 'api') return { status: 200, body: { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] } };
  const groups = [...new Set(RESOURCES.filter((r) => r.group).map((r) => r.group))];
  if (path === 'apis') {
    return {
      status: 200,
      body: {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: groups.map((g) => ({
          name: g,
          versions: [{ groupVersion: `${g}/v1`, version: 'v1' }],
          preferredVersion: { groupVersion: `${g}/v1`, version: 'v1' },
        })),
      },
    };
  }
  const gv = path === 'api/v1' ? 'v1' : segs[0] === 'apis' && segs.length === 3 ? `${segs[1]}/${segs[2]}` : undefined;
  if (!gv) return undefined;
  const rs = RESOURCES.filter((r) => apiVersionOf(r) === gv);
  if (!rs.length) return undefined;
  return {
    status: 200,
    body: {
      kind: 'APIResourceList',
      groupVersion: gv,
      resources: rs.map((r) => ({
        name: r.plural,
        singularName: r.kind.toLowerCase(),
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      })),
    },
  };
}

function target(segs: string[]): Target | undefined {
  let group = '';
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs[1] === 'v1') {
    version = 'v1';
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 4) {
    group = segs[1]!;
    version = segs[2]!;
    rest = segs.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && rest[2] === 'status')) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const resource = findResource(group, version, rest[0]!);
  if (!resource || rest.length > 3) return undefined;
  if (namespace && !resource.namespaced) return undefined;
  return { resource, namespace, name: rest[1], sub: rest[2] };
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (!text) return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new K8sError(400, 'BadRequest', 'the request body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

export function createKubernetes(store: K8sStore, token: string, log: Logger) {
  const watches = new Set<ServerResponse>();

  function startWatch(req: IncomingMessage, res: ServerResponse, t: Target, url: URL) {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
    res.flushHeaders();
    const send = (type: string, object: unknown) => res.write(`${JSON.stringify({ type, object })}\n`);
    let stop = () => {};
    try {
      const labels = labelSelector(url.searchParams.get('labelSelector'));
      const fields = fieldSelector(url.searchParams.get('fieldSelector'));
      stop = store.watch(t.resource, t.namespace, (o: Obj) => labels(o) && fields(o), url.searchParams.get('resourceVersion') ?? undefined, send);
    } catch (err) {
      const e =
        err instanceof K8sError
          ? err
          : err instanceof SelectorError
            ? new K8sError(400, 'BadRequest', err.message)
            : new K8sError(500, 'InternalError', String(err));
      send('ERROR', e.toStatus());
      res.end();
      return;
    }
    watches.add(res);
    const timeout = Number(url.searchParams.get('timeoutSeconds'));
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    const close = () => {
      stop();
      if (timer) clearTimeout(timer);
      watches.delete(res);
    };
    req.on('close', close);
    res.on('close', close);
  }

  async function serve(req: IncomingMessage, res: ServerResponse, trusted: boolean): Promise<Reply | undefined> {
    if (!trusted && req.headers.authorization !== `Bearer ${token}`) {
      return { status: 401, body: new K8sError(401, 'Unauthorized', 'Unauthorized').toStatus() };
    }
    const url = new URL(req.url ?? '/', 'http://k8s');
    let segs: string[];
    try {
      segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      throw new K8sError(400, 'BadRequest', 'the path is not valid percent-encoding');
    }
    const disc = discovery(segs);
    if (disc && req.method === 'GET') return disc;
    const t = target(segs);
    if (!t) throw new K8sError(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
    const { resource: r, name } = t;
    const ns = r.namespaced ? t.namespace : '';
    if (t.sub !== undefined && (t.sub !== 'status' || !r.hasStatus)) throw new K8sError(404, 'NotFound', `${r.plural} has no subresource ${t.sub}`);
    const status = t.sub === 'status';
    const method = req.method ?? 'GET';

    if (!name) {
      if (method === 'GET') {
        if (['true', '1'].includes(url.searchParams.get('watch') ?? '')) {
          startWatch(req, res, t, url);
          return undefined;
        }
        const match = labelSelector(url.searchParams.get('labelSelector'));
        const fmatch = fieldSelector(url.searchParams.get('fieldSelector'));
        const items = store.list(r, ns || undefined, (o) => match(o) && fmatch(o));
        return { status: 200, body: { kind: `${r.kind}List`, apiVersion: apiVersionOf(r), metadata: { resourceVersion: store.resourceVersion }, items } };
      }
      if (method === 'POST') {
        if (r.namespaced && !ns) throw new K8sError(405, 'MethodNotAllowed', `create ${r.plural} in a namespace`);
        return { status: 201, body: store.create(r, ns ?? '', ((await readJson(req)) ?? {}) as Obj) };
      }
      throw new K8sError(405, 'MethodNotAllowed', `${method} is not allowed on a collection here`);
    }
    if (r.namespaced && !ns) throw new K8sError(404, 'NotFound', `${r.plural} are namespaced: use /namespaces/NS/${r.plural}/${name}`);
    const space = ns ?? '';
    switch (method) {
      case 'GET':
        return { status: 200, body: store.get(r, space, name) };
      case 'PUT':
        return { status: 200, body: store.replace(r, space, name, (await readJson(req)) as Obj, { status }) };
      case 'PATCH': {
        const type = String(req.headers['content-type'] ?? '')
          .split(';')[0]!
          .trim();
        return { status: 200, body: store.patch(r, space, name, type, await readJson(req), { status }) };
      }
      case 'DELETE': {
        // DeleteOptions: preconditions (uid, resourceVersion) make a delete of a changed object a 409, as in a real API server.
        const options = (await readJson(req).catch(() => undefined)) as { preconditions?: { uid?: string; resourceVersion?: string } } | undefined;
        const gone = store.delete(r, space, name, options?.preconditions);
        if (r.kind === 'Pod') return { status: 200, body: gone };
        return {
          status: 200,
          body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: r.plural, uid: gone.metadata.uid } },
        };
      }
      default:
        throw new K8sError(405, 'MethodNotAllowed', `${method} is not allowed`);
    }
  }

  return {
    /** `trusted`: the control socket's passthrough, which needs no token. */
    handle(req: IncomingMessage, res: ServerResponse, trusted = false) {
      serve(req, res, trusted)
        .catch((err: unknown): Reply => {
          if (err instanceof K8sError) return { status: err.code, body: err.toStatus() };
          if (err instanceof SelectorError) return { status: 400, body: new K8sError(400, 'BadRequest', err.message).toStatus() };
          log.error('kubernetes: unexpected error', { url: req.url, err });
          return { status: 500, body: new K8sError(500, 'InternalError', 'internal error; see server.log').toStatus() };
        })
        .then((reply) => {
          if (!reply) return;
          const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
          res.writeHead(reply.status, {
            'Content-Type': typeof reply.body === 'string' ? 'text/plain' : 'application/json',
            'Content-Length': Buffer.byteLength(text),
          });
          res.end(text);
        });
    },
    closeWatches() {
      for (const res of watches) res.end();
      watches.clear();
      store.closeAll();
    },
  };
}
