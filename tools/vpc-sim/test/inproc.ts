/**
 * The sim's cloud and OpenAPI in the test process: real HTTP on 127.0.0.1,
 * the real @volcengine/openapi client, no namespaces. For the many API cases;
 * the dataplane and the metadata service by source address are tested on a
 * real sim (see dataplane.test.ts, metadata.test.ts).
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Service, Signer } from '@volcengine/openapi';
import { createLogger } from '@cello/cli-kit';
import { NO_DELAYS } from '@cello/testkit/sim';
import { Cloud, type Dataplane, NO_DATAPLANE } from '../src/cloud/cloud.ts';
import { planWorld } from '../src/cloud/world.ts';
import { resolveConfig } from '../src/config.ts';
import { ACTIONS } from '../src/openapi/actions/index.ts';
import { CallLog } from '../src/openapi/calls.ts';
import { Faults } from '../src/openapi/faults.ts';
import { createOpenApi } from '../src/openapi/server.ts';

export interface Creds {
  accessKeyId: string;
  secretKey: string;
  sessionToken?: string;
}

export type Envelope = {
  ResponseMetadata: { RequestId: string; Action: string; Service: string; Error?: { Code: string; CodeN?: number; Message: string } };
  Result?: any;
};

export async function inProcessCloud(config: Record<string, unknown> = {}, opts: { nodes?: number; dataplane?: Dataplane } = {}) {
  // A unit-test rig: no account flow limits (the sim's default) unless a test sets them.
  const cfg = resolveConfig({ delaysMs: NO_DELAYS, flowLimits: {}, ...config });
  const world = planWorld('t', cfg, opts.nodes ?? 2);
  const cloud = new Cloud(world, cfg, opts.dataplane ?? NO_DATAPLANE);
  const faults = new Faults(cfg.flowLimits);
  const calls = new CallLog();
  const api = createOpenApi(cloud, faults, calls, createLogger({ component: 'test-sim', level: 'error' }));
  const server: Server = createServer(api.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const owner: Creds = { accessKeyId: world.owner.accessKeyId, secretKey: world.owner.secretAccessKey };

  /** The real SDK client, configured as a product would (http, the sim's host). */
  const service = (name: 'vpc' | 'ecs', creds: Creds = owner, region = world.region) =>
    new Service({ serviceName: name, host, protocol: 'http:', region, defaultVersion: '2020-04-01', ...creds });

  /** One action through the SDK's createAPI, with the owner's key unless told otherwise. */
  const call = async (action: string, params: Record<string, unknown> = {}, creds: Creds = owner, method: 'GET' | 'POST' = 'GET'): Promise<Envelope> => {
    const svc = ACTIONS[action]?.service ?? 'vpc';
    return (await service(svc, creds).createAPI(action, { method })(params)) as Envelope;
  };

  /** Call and fail the test's await unless the call succeeded; returns Result. */
  const ok = async (action: string, params: Record<string, unknown> = {}) => {
    const r = await call(action, params);
    if (r.ResponseMetadata.Error) throw new Error(`${action}: ${r.ResponseMetadata.Error.Code}: ${r.ResponseMetadata.Error.Message}`);
    return r.Result;
  };

  /** The error code of a call ('OK' when it succeeded). */
  const code = async (action: string, params: Record<string, unknown> = {}, creds: Creds = owner) =>
    (await call(action, params, creds)).ResponseMetadata.Error?.Code ?? 'OK';

  return {
    cloud,
    world,
    config: cfg,
    faults,
    calls,
    api,
    host,
    owner,
    service,
    call,
    ok,
    code,
    subnetId: world.subnets[0]!.id,
    sgId: world.securityGroups[0]!.id,
    close: () =>
      new Promise<void>((resolve) => {
        cloud.stop();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface RawRequest {
  method?: 'GET' | 'POST' | 'PUT';
  query: Record<string, string | string[]>;
  body?: string;
  headers?: Record<string, string>;
  creds: Creds;
  service?: string;
  region?: string;
  date?: Date;
  /** Sign every header given (as the Go SDK signs host and content-type), not only the Node SDK's. */
  signAll?: boolean;
  /** Change the request after signing (what a tamperer or a buggy client would do). */
  after?: (r: { path: string; headers: Record<string, string>; body?: string }) => void;
}

/** Sign with the SDK's own Signer and send by hand, for the cases the client cannot produce. */
export function rawRequest(host: string, r: RawRequest): Promise<{ status: number; body: string; json?: Envelope; headersSigned: string }> {
  const method = r.method ?? 'GET';
  const headers: Record<string, string> = { ...(r.headers ?? {}) };
  const signed = { method, region: r.region ?? 'cn-beijing', pathname: '/', params: r.query, headers, body: r.body };
  const signer = new Signer(signed as never, r.service ?? 'vpc');
  if (r.signAll) signer.isSignableHeader = (key: string) => key !== 'authorization';
  signer.addAuthorization(r.creds, r.date);
  const headersSigned = /SignedHeaders=([^,]+)/.exec(String(signed.headers.Authorization))?.[1] ?? '';
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(r.query)) for (const x of [v].flat()) qs.append(k, x);
  const req = { path: `/?${qs}`, headers: signed.headers as Record<string, string>, body: r.body };
  r.after?.(req);
  const [hostname, port] = host.split(':');
  return new Promise((resolve, reject) => {
    const hr = request(
      {
        hostname,
        port: Number(port),
        method,
        path: req.path,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...req.headers, 'Content-Length': String(Buffer.byteLength(req.body ?? '')) },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let json: Envelope | undefined;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: text, json, headersSigned });
        });
      },
    );
    hr.on('error', reject);
    hr.end(req.body);
  });
}
