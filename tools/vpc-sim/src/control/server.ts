/**
 * The control API on the unix socket `/run/vpc-sim/NAME/control.sock`, for
 * `vpc-sim calls|fault|state|api|instance|k8s` and for tests. It is outside
 * the simulated VPC (a file, reachable from the machine's namespace) and
 * needs no credentials: whoever can open the socket is the operator.
 *
 *   GET    /health                  {ok, pid}
 *   GET    /info                    the up document
 *   GET    /state                   instances, ENIs, subnets, recent transitions
 *   GET    /calls?since=&action=    the OpenAPI call log
 *   GET    /faults                  injected faults and flow limits
 *   POST   /faults                  add a fault (FaultSpec)
 *   DELETE /faults[?id=N]           clear injected faults
 *   POST   /metadata-lag            {ms}
 *   POST   /api                     {action, params} run as the account owner, unsigned
 *   POST   /instances/delete        {instance, keepNode?}
 *   *      /k8s/<path>              the Kubernetes API without the token
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@cello/cli-kit';
import type { Cloud } from '../cloud/cloud.ts';
import { deleteInstance } from '../cloud/instances.ts';
import type { SimInfo } from '../info.ts';
import type { CallLog } from '../openapi/calls.ts';
import { FaultError, type FaultSpec, type Faults } from '../openapi/faults.ts';
import type { OpenApi } from '../openapi/server.ts';
import { renderState } from './state.ts';

export interface ControlContext {
  cloud: Cloud;
  openapi: OpenApi;
  faults: Faults;
  calls: CallLog;
  kubernetes: { handle(req: IncomingMessage, res: ServerResponse, trusted?: boolean): void };
  info(): SimInfo;
  /** The instance is gone: drop it from the Kubernetes API (unless kept) and the info document. */
  onInstanceDeleted(node: string, keepNode: boolean): void;
  log: Logger;
}

class BadRequest extends Error {}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        const v = text ? JSON.parse(text) : {};
        if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
        resolve(v);
      } catch {
        reject(new BadRequest('the request body must be a JSON object'));
      }
    });
    req.on('error', reject);
  });
}

export function createControl(ctx: ControlContext) {
  async function route(req: IncomingMessage, url: URL): Promise<[number, unknown]> {
    const m = `${req.method} ${url.pathname}`;
    switch (m) {
      case 'GET /health':
        return [200, { ok: true, pid: process.pid }];
      case 'GET /info':
        return [200, ctx.info()];
      case 'GET /state':
        return [200, renderState(ctx.cloud)];
      case 'GET /calls':
        return [200, ctx.calls.list(url.searchParams.get('since') ?? undefined, url.searchParams.get('action') ?? undefined)];
      case 'GET /faults':
        return [200, { faults: ctx.faults.list(), metadataLagMs: ctx.cloud.metadataLagMs }];
      case 'POST /faults':
        return [201, ctx.faults.add((await readJson(req)) as unknown as FaultSpec)];
      case 'DELETE /faults': {
        const id = url.searchParams.get('id');
        const cleared = ctx.faults.clear(id ? Number(id) : undefined);
        if (!id) ctx.cloud.metadataLagMs = ctx.cloud.config.metadataLagMs;
        return [200, { cleared }];
      }
      case 'POST /metadata-lag': {
        const { ms } = await readJson(req);
        if (!Number.isInteger(ms) || (ms as number) < 0) throw new BadRequest('ms must be a whole number ≥ 0');
        ctx.cloud.metadataLagMs = ms as number;
        return [200, { metadataLagMs: ms }];
      }
      case 'POST /api': {
        const { action, params } = await readJson(req);
        if (typeof action !== 'string' || !action) throw new BadRequest('action must be an action name');
        const p = (params ?? {}) as Record<string, unknown>;
        if (typeof p !== 'object' || Object.values(p).some((v) => typeof v !== 'string')) throw new BadRequest('params must map names to strings');
        const r = await ctx.openapi.admin(action, p as Record<string, string>);
        return [r.status, r.body];
      }
      case 'POST /instances/delete': {
        const { instance, keepNode } = await readJson(req);
        if (typeof instance !== 'string' || !instance) throw new BadRequest('instance must be an instance id or node name');
        if (!ctx.cloud.findInstance(instance)) return [404, { error: `no instance or node named ${instance}` }];
        const gone = await deleteInstance(ctx.cloud, instance);
        ctx.onInstanceDeleted(gone.node, keepNode === true);
        return [200, { instanceId: gone.id, node: gone.node, netns: gone.netns }];
      }
      default:
        return [404, { error: `no control route ${m}` }];
    }
  }

  return {
    handle(req: IncomingMessage, res: ServerResponse) {
      const url = new URL(req.url ?? '/', 'http://control');
      if (url.pathname === '/k8s' || url.pathname.startsWith('/k8s/')) {
        req.url = `${url.pathname.slice(4) || '/'}${url.search}`;
        ctx.kubernetes.handle(req, res, true);
        return;
      }
      route(req, url)
        .catch((err: unknown): [number, unknown] => {
          if (err instanceof BadRequest || err instanceof FaultError) return [400, { error: err.message }];
          ctx.log.error('control: unexpected error', { url: req.url, err });
          return [500, { error: (err as Error).message ?? String(err) }];
        })
        .then(([status, body]) => {
          const text = JSON.stringify(body);
          res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
          res.end(text);
        });
    },
  };
}
