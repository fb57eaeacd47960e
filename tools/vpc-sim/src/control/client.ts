/** Talk to a running sim's control socket (used by the CLI and by tests through the library). */
import { request } from 'node:http';
import type { SimInfo } from '../info.ts';
import type { CallRecord } from '../openapi/calls.ts';
import type { Fault, FaultSpec } from '../openapi/faults.ts';
import type { SimState } from './state.ts';

export class ControlError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
  }
}

export interface RawReply {
  status: number;
  body: unknown;
}

export class ControlClient {
  constructor(readonly socketPath: string) {}

  /** One request; the reply whatever its status. Throws only when the socket cannot be reached. */
  raw(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawReply> {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          method,
          path,
          headers: { ...(data !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}), ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // not JSON: keep the text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        const why = err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? 'the sim is not running (no server on its control socket)' : err.message;
        reject(new ControlError(`${this.socketPath}: ${why}`, 0, undefined));
      });
      if (data !== undefined) req.write(data);
      req.end();
    });
  }

  /** A request that must succeed (2xx); its JSON reply. */
  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.raw(method, path, body);
    if (r.status < 200 || r.status >= 300) {
      const msg = (r.body as { error?: string } | undefined)?.error ?? JSON.stringify(r.body);
      throw new ControlError(`${method} ${path}: ${msg}`, r.status, r.body);
    }
    return r.body as T;
  }

  health = () => this.call<{ ok: boolean; pid: number }>('GET', '/health');
  info = () => this.call<SimInfo>('GET', '/info');
  state = () => this.call<SimState>('GET', '/state');
  calls = (opts: { since?: number | string; action?: string } = {}) => {
    const q = new URLSearchParams();
    if (opts.since !== undefined) q.set('since', String(opts.since));
    if (opts.action) q.set('action', opts.action);
    return this.call<CallRecord[]>('GET', `/calls${q.size ? `?${q}` : ''}`);
  };
  faults = () => this.call<{ faults: Fault[]; metadataLagMs: number }>('GET', '/faults');
  addFault = (spec: FaultSpec) => this.call<Fault>('POST', '/faults', spec);
  clearFaults = (id?: number) => this.call<{ cleared: number }>('DELETE', `/faults${id !== undefined ? `?id=${id}` : ''}`);
  setMetadataLag = (ms: number) => this.call('POST', '/metadata-lag', { ms });
  /** Run an API action as the account owner without signing; the full response envelope. */
  api = (action: string, params: Record<string, string | number | boolean> = {}) =>
    this.raw('POST', '/api', { action, params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])) });
  deleteInstance = (instance: string, keepNode = false) => this.call<{ instanceId: string; node: string }>('POST', '/instances/delete', { instance, keepNode });
  /** The Kubernetes API without a token: `k8s('GET', '/api/v1/nodes')`. */
  k8s = (method: string, path: string, body?: unknown, contentType?: string) =>
    this.raw(method, `/k8s${path}`, body, contentType ? { 'Content-Type': contentType } : {});
}
