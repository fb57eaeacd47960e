/**
 * The instance metadata service (http://100.96.0.96 by default): plain-text
 * items under `/volcstack/latest/` (Cello's prefix; reference §5), each read
 * with a short timeout. Any status but 200 is an error, except that
 * `tryGet` turns a 404 into undefined. Every read is reported to
 * `metrics.on('call', …)` (the agent's hook, like the OpenAPI client's).
 */
import { EventEmitter } from 'node:events';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { scrubSecrets } from '../credentials/secrets.ts';

export const METADATA_PREFIX = '/volcstack/latest/';

export class MetadataError extends Error {
  override readonly name = 'MetadataError';
  readonly exitCode = 1;
  constructor(
    readonly path: string,
    readonly status: number,
    message: string,
  ) {
    super(scrubSecrets(`metadata ${path}: ${message}`));
  }
}

export interface MetadataCallEvent {
  /** The item, relative to the prefix (e.g. `network/interfaces/macs/02:…/private_ipv4s`). */
  path: string;
  /** The HTTP status; 0 when nothing answered (a network failure, a timeout, a stop). */
  status: number;
  latencyMs: number;
  /** The error's name when the read failed (a 404 too: `tryGet` turns it into "absent"). */
  error?: string;
}

export class MetadataClient {
  readonly metrics = new EventEmitter<{ call: [MetadataCallEvent] }>();

  constructor(
    /** e.g. `http://100.96.0.96` (no trailing slash). */
    readonly base: string,
    readonly timeoutMs = 5000,
  ) {}

  /** One item's text, or throw MetadataError (status 0 for a network failure or timeout). */
  async get(path: string, signal?: AbortSignal): Promise<string> {
    const started = performance.now();
    const report = (status: number, error?: string) => this.metrics.emit('call', { path, status, latencyMs: performance.now() - started, ...(error ? { error } : {}) });
    try {
      const text = await this.read(path, signal);
      report(200);
      return text;
    } catch (err) {
      report(err instanceof MetadataError ? err.status : 0, (err as Error).name);
      throw err;
    }
  }

  private read(path: string, signal?: AbortSignal): Promise<string> {
    const url = new URL(`${METADATA_PREFIX}${path.replace(/^\/+/, '')}`, this.base);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    // Credentials live under iam/: never repeat such a body in an error.
    const quiet = path.startsWith('iam/');
    return new Promise((resolve, reject) => {
      const req = send(url, { method: 'GET', timeout: this.timeoutMs, signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode === 200) resolve(body);
          else reject(new MetadataError(path, res.statusCode ?? 0, `HTTP ${res.statusCode}${quiet ? '' : `: ${body.trim().slice(0, 200)}`}`));
        });
        res.on('error', (err) => reject(new MetadataError(path, 0, err.message)));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (err) => reject(err instanceof MetadataError ? err : new MetadataError(path, 0, `${err.message} (is ${this.base} the metadata service?)`)));
      req.end();
    });
  }

  /** Like get, but a 404 (no such item) is undefined. */
  async tryGet(path: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      return await this.get(path, signal);
    } catch (err) {
      if (err instanceof MetadataError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** A newline-separated list item (empty lines dropped). */
  async list(path: string, signal?: AbortSignal): Promise<string[]> {
    const text = (await this.tryGet(path, signal)) ?? '';
    return text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  }
}
