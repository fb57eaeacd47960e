/**
 * The OpenAPI endpoint: GET with the parameters in the query, or POST with a
 * form body (Action and Version stay in the query). Each request is
 * authenticated, checked against the fault rules, run, answered in the
 * gateway's envelope and written to the call log. A malformed request gets
 * an error envelope, never a crash.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@cello/cli-kit';
import type { Cloud } from '../cloud/cloud.ts';
import { CloudError } from '../cloud/errors.ts';
import type { Principal } from '../cloud/tokens.ts';
import { requestId } from '../util/ids.ts';
import { sleep } from '../util/time.ts';
import { ACTIONS, API_VERSION } from './actions/index.ts';
import type { CallLog } from './calls.ts';
import type { Faults } from './faults.ts';
import { Idempotency } from './idempotency.ts';
import { Params, type RawParams } from './params.ts';
import { verifySignature } from './signature.ts';

const MAX_BODY = 1 << 20;
const SERVICES = ['vpc', 'ecs'] as const;

export interface OpenApi {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Run an action as the account owner without a signature (the control socket's `api`). */
  admin(action: string, params: RawParams): Promise<{ status: number; body: unknown }>;
}

interface Meta {
  RequestId: string;
  Action: string;
  Version: string;
  Service: string;
  Region: string;
}

function decode(search: URLSearchParams): RawParams {
  const out: RawParams = {};
  for (const [k, v] of search) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) reject(new CloudError('InvalidParameter', 'The request body is larger than 1 MiB.'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function errorBody(meta: Meta, err: CloudError) {
  return {
    ResponseMetadata: {
      ...meta,
      Error: { ...(err.codeN !== undefined ? { CodeN: err.codeN } : {}), Code: err.code, Message: err.message },
    },
  };
}

export function createOpenApi(cloud: Cloud, faults: Faults, calls: CallLog, log: Logger): OpenApi {
  const idempotency = new Idempotency();

  async function run(action: string, params: Params, principal: Principal, service: string): Promise<Record<string, unknown>> {
    const def = ACTIONS[action];
    if (!def || def.service !== service) {
      const where = def ? ` (it belongs to service ${def.service})` : '';
      throw new CloudError('InvalidActionOrVersion', `The action ${action} with version ${API_VERSION} does not exist in service ${service}${where}.`);
    }
    const exec = () => Promise.resolve(def.run({ cloud, params, principal }));
    return def.clientToken ? idempotency.run(action, params, exec) : exec();
  }

  function success(meta: Meta, result: Record<string, unknown>) {
    return { ResponseMetadata: meta, Result: meta.Service === 'vpc' ? { RequestId: meta.RequestId, ...result } : result };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://sim');
    const query = decode(url.searchParams);
    const str = (k: string) => (Array.isArray(query[k]) ? (query[k] as string[])[0]! : ((query[k] as string | undefined) ?? ''));
    const meta: Meta = { RequestId: requestId(), Action: str('Action'), Version: str('Version'), Service: '', Region: cloud.world.region };
    const sourceIp = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    let auth = 'none';
    let status = 200;
    let code = 'OK';
    let faultIds: number[] | undefined;
    let params: RawParams = {};
    let body: string | object;
    let contentType = 'application/json; charset=utf-8';
    try {
      const raw = await readBody(req);
      if (req.method !== 'GET' && req.method !== 'POST') throw new CloudError('MethodNotAllowed', `Method ${req.method} is not allowed; use GET or POST.`);
      const verified = verifySignature({ method: req.method, path: url.pathname, headers: req.headers, query, body: raw }, cloud.credentials, {
        region: cloud.world.region,
        services: SERVICES,
        clockSkewSec: cloud.config.clockSkewSec,
      });
      auth = verified.principal.kind;
      meta.Service = verified.service;
      if (url.pathname !== '/') throw new CloudError('InvalidActionOrVersion', `There is no API at path ${url.pathname}; send requests to /.`);
      if (!meta.Action || meta.Version !== API_VERSION) {
        throw new CloudError('InvalidActionOrVersion', `Action "${meta.Action}" with Version "${meta.Version}" is not valid; the version is ${API_VERSION}.`);
      }
      params = { ...query };
      const type = String(req.headers['content-type'] ?? '');
      if (req.method === 'POST' && raw && type.startsWith('application/x-www-form-urlencoded')) Object.assign(params, decode(new URLSearchParams(raw)));
      delete params.Action;
      delete params.Version;

      const decision = faults.decide(meta.Action);
      faultIds = decision.faultIds.length ? decision.faultIds : undefined;
      if (decision.latencyMs) await sleep(decision.latencyMs);
      if (decision.garbage) {
        status = decision.garbage.status;
        code = `garbage ${status}`;
        contentType = 'text/html';
        body = decision.garbage.body;
      } else {
        if (decision.error) throw decision.error;
        body = success(meta, await run(meta.Action, new Params(params), verified.principal, verified.service));
      }
    } catch (err) {
      const e =
        err instanceof CloudError ? err : new CloudError('InternalError', 'The request failed for an unknown reason inside the sim; see its server.log.');
      if (!(err instanceof CloudError)) log.error('openapi: unexpected error', { action: meta.Action, err });
      status = e.status;
      code = e.code;
      body = errorBody(meta, e);
    }
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'X-Tt-Logid': meta.RequestId });
    res.end(text);
    calls.add({
      time: new Date(started).toISOString(),
      sourceIp,
      caller: cloud.instanceByIp(sourceIp)?.id ?? 'unknown',
      auth,
      action: meta.Action,
      service: meta.Service,
      params,
      code,
      status,
      latencyMs: Date.now() - started,
      ...(faultIds ? { faults: faultIds } : {}),
    });
  }

  return {
    handle: (req, res) => {
      handle(req, res).catch((err) => {
        log.error('openapi: failed to answer', { err });
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    },
    async admin(action, params) {
      const def = ACTIONS[action];
      const meta: Meta = { RequestId: requestId(), Action: action, Version: API_VERSION, Service: def?.service ?? '', Region: cloud.world.region };
      try {
        if (!def) throw new CloudError('InvalidActionOrVersion', `There is no action ${action} (known: ${Object.keys(ACTIONS).join(', ')}).`);
        return { status: 200, body: success(meta, await run(action, new Params(params), { kind: 'owner' }, def.service)) };
      } catch (err) {
        const e = err instanceof CloudError ? err : new CloudError('InternalError', (err as Error).message);
        return { status: e.status, body: errorBody(meta, e) };
      }
    },
  };
}
