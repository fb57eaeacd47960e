/**
 * The instance metadata service (http://100.96.0.96 by default): plain-text
 * items under `/volcstack/latest/` (Cello's prefix; docs/volcengine-api.md, metadata), each read
 * with a short timeout. Any status but 200 is an error, except that
 * `tryGet` turns a 404 into undefined. Every read is reported to
 * `metrics.on('call', …)` (the agent's hook, like the OpenAPI client's).
 *
 * Metadata tokens (IMDSv2; an instance with MetadataOptions.HttpTokens
 * `required` refuses reads without one), as the Volcengine Go SDK's
 * EcsRoleProvider does: `PUT /latest/api/token` with
 * `X-volc-ecs-metadata-token-ttl-seconds: 21600` answers a token, which goes
 * in `X-volc-ecs-metadata-token` on every read. The token is kept and
 * fetched again at half its lifetime, or at once when a read with it is
 * refused (401). Only a 404 from the token endpoint (a service without
 * tokens) makes the client read without one; it asks again after
 * TOKENLESS_RECHECK_MS, or as soon as a tokenless read is refused.
 */
import { EventEmitter } from 'node:events';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { registerSecret, scrubSecrets } from '../credentials/secrets.ts';
import { sleep } from '../util/sleep.ts';

export const METADATA_PREFIX = '/volcstack/latest/';
export const TOKEN_PATH = '/latest/api/token';
export const TOKEN_TTL_HEADER = 'X-volc-ecs-metadata-token-ttl-seconds';
export const TOKEN_HEADER = 'X-volc-ecs-metadata-token';
/** The token lifetime asked for (the Go SDK's; the service's maximum). */
export const TOKEN_TTL_SEC = 21_600;
/** Pauses before trying a read again after a network failure (no answer, a reset): two more tries. */
export const NETWORK_RETRY_MS = [250, 1000];
/** After the token endpoint answered 404, read without a token this long before asking again. */
export const TOKENLESS_RECHECK_MS = 10 * 60_000;

export class MetadataError extends Error {
  override readonly name = 'MetadataError';
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

/** `p`, or its rejection as soon as `signal` aborts. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(signal.reason ?? new Error('aborted'));
    if (signal.aborted) return stop();
    signal.addEventListener('abort', stop, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}

/** What the client knows of the service's tokens: one in hand, none offered (404), or not asked yet. */
type TokenState = { kind: 'token'; value: string; refreshAt: number } | { kind: 'tokenless'; recheckAt: number } | { kind: 'unknown' };

export class MetadataClient {
  readonly metrics = new EventEmitter<{ call: [MetadataCallEvent] }>();
  private token: TokenState = { kind: 'unknown' };
  private tokenInflight: Promise<string | undefined> | undefined;

  constructor(
    /** e.g. `http://100.96.0.96` (no trailing slash). */
    readonly base: string,
    readonly timeoutMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * One item's text, or throw MetadataError (status 0 for a network failure or timeout).
   * A network failure is tried again after each of NETWORK_RETRY_MS: the service is
   * on the node's own link, and a busy one drops a connection now and then (seen
   * with 100 keepers starting at once); a keeper must not die of one.
   */
  async get(path: string, signal?: AbortSignal): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.getOnce(path, signal);
      } catch (err) {
        const pause = NETWORK_RETRY_MS[attempt];
        if (!(err instanceof MetadataError && err.status === 0) || pause === undefined || signal?.aborted) throw err;
        await sleep(pause, signal);
      }
    }
  }

  private async getOnce(path: string, signal?: AbortSignal): Promise<string> {
    let token = await this.currentToken(signal);
    try {
      return await this.reported(path, () => this.read(path, token, signal));
    } catch (err) {
      // Refused: the token expired or was revoked, or the service now wants one. Once more with a fresh token.
      if (!(err instanceof MetadataError && err.status === 401)) throw err;
      token = await this.currentToken(signal, true);
      if (token === undefined) throw err;
      return await this.reported(path, () => this.read(path, token, signal));
    }
  }

  /** Whether reads carry a token (`token`), go without (`tokenless`: the service has no token endpoint), or nothing was read yet. */
  get tokenMode(): TokenState['kind'] {
    return this.token.kind;
  }

  private async reported<T>(path: string, f: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const report = (status: number, error?: string) =>
      this.metrics.emit('call', { path, status, latencyMs: performance.now() - started, ...(error ? { error } : {}) });
    try {
      const r = await f();
      report(200);
      return r;
    } catch (err) {
      report(err instanceof MetadataError ? err.status : 0, (err as Error).name);
      throw err;
    }
  }

  /** The token to send (undefined: read without one), fetching one when due or when `renew`. */
  private currentToken(signal: AbortSignal | undefined, renew = false): Promise<string | undefined> {
    const t = this.token;
    const now = this.now();
    if (!renew && t.kind === 'token' && now < t.refreshAt) return Promise.resolve(t.value);
    if (!renew && t.kind === 'tokenless' && now < t.recheckAt) return Promise.resolve(undefined);
    // Shared by every read waiting for it, so not tied to one caller's signal (the timeout bounds it).
    this.tokenInflight ??= this.reported('api/token', () => this.fetchToken()).finally(() => (this.tokenInflight = undefined));
    return signal ? untilAborted(this.tokenInflight, signal) : this.tokenInflight;
  }

  private async fetchToken(): Promise<string | undefined> {
    const asked = this.now();
    let value: string;
    try {
      value = (
        await this.request(new URL(TOKEN_PATH, this.base), 'PUT', { [TOKEN_TTL_HEADER]: String(TOKEN_TTL_SEC), 'Content-Length': '0' }, 'api/token', true)
      ).trim();
    } catch (err) {
      // No token endpoint at all: this service serves tokenless reads (a refusal later makes us ask again).
      if (err instanceof MetadataError && err.status === 404) {
        this.token = { kind: 'tokenless', recheckAt: asked + TOKENLESS_RECHECK_MS };
        return undefined;
      }
      throw err;
    }
    if (!value) throw new MetadataError('api/token', 200, 'the token endpoint answered an empty token');
    registerSecret(value);
    this.token = { kind: 'token', value, refreshAt: asked + (TOKEN_TTL_SEC * 1000) / 2 };
    return value;
  }

  private read(path: string, token: string | undefined, signal?: AbortSignal): Promise<string> {
    const url = new URL(`${METADATA_PREFIX}${path.replace(/^\/+/, '')}`, this.base);
    // Credentials live under iam/: never repeat such a body in an error.
    return this.request(url, 'GET', token === undefined ? {} : { [TOKEN_HEADER]: token }, path, path.startsWith('iam/'), signal);
  }

  private request(url: URL, method: 'GET' | 'PUT', headers: Record<string, string>, path: string, quiet: boolean, signal?: AbortSignal): Promise<string> {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers, timeout: this.timeoutMs, signal }, (res) => {
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
      req.on('error', (err) =>
        reject(err instanceof MetadataError ? err : new MetadataError(path, 0, `${err.message} (is ${this.base} the metadata service?)`)),
      );
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
