/**
 * The OpenAPI client every cloud call goes through: `@volcengine/openapi`'s
 * Service (GET, version 2020-04-01, service vpc or ecs, flattened `.N`
 * parameters), with what the SDK leaves to its caller:
 * - `ResponseMetadata.Error`, non-JSON bodies and transport failures become
 *   OpenApiError (the SDK resolves with error bodies and throws synchronously
 *   on empty keys);
 * - retries with jittered backoff per operation class; throttling, 5xx and
 *   busy codes retried, terminal codes not, unknown codes only on idempotent
 *   calls (errors.ts `treatment`), "already done" codes returned as success
 *   with `okCode`;
 * - a token bucket per action; one ClientToken for every try of a call;
 * - refused role credentials refreshed once;
 * - every call logged (action, code, latency, requestId) and counted.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@cello/cli-kit';
import type { BackoffPolicy, RatePolicy } from '../config/resolve.ts';
import type { CallClass } from '../config/schema.ts';
import type { CredentialProvider, Credentials } from '../credentials/provider.ts';
import { SILENT } from '../log.ts';
import { sleep } from '../util/sleep.ts';
import { backoffDelay } from './backoff.ts';
import { BAD_RESPONSE, CLIENT_ERROR, isIdempotent, isThrottle, NETWORK_ERROR, OpenApiError, treatment } from './errors.ts';
import { CallMetrics } from './metrics.ts';
import { flatten, type ParamValue } from './params.ts';
import { type Clock, RateLimiter, REAL_CLOCK } from './token-bucket.ts';
import { type SdkService, Service } from './sdk.ts';

export const API_VERSION = '2020-04-01';

/** Actions of the ECS service; every other one is VPC's. */
const ECS_ACTIONS = new Set(['DescribeInstances', 'DescribeInstanceTypes']);

const WRITE_RE = /^(Create|Delete|Attach|Detach|Assign|Unassign|Tag|Untag|Modify)/;
export const classOf = (action: string): CallClass => (WRITE_RE.test(action) ? 'write' : 'describe');

export interface ClientOptions {
  endpoint: { protocol: 'http:' | 'https:'; host: string };
  region: string;
  credentials: CredentialProvider;
  rateLimits: Record<string, RatePolicy>;
  backoff: Record<CallClass, BackoffPolicy>;
  timeoutMs: number;
  log?: Logger;
  clock?: Clock;
  random?: () => number;
}

export interface CallOptions {
  /** The retry schedule (default: write for mutations, describe for the rest). */
  class?: CallClass;
  /** Send a ClientToken (a fresh one for `true`), the same on every try. */
  clientToken?: boolean | string;
  signal?: AbortSignal;
  /** Codes that end the call at once, whatever their treatment: the caller has a cheaper way to wait than retrying. */
  failOn?: readonly string[];
}

export interface CallResult<T> {
  result: T;
  requestId?: string;
  /** Set when an "already done" error code was taken as success. */
  okCode?: string;
}

type Envelope = {
  ResponseMetadata?: { RequestId?: string; Error?: { Code?: string; CodeN?: number; Message?: string } };
  Result?: unknown;
  errorcode?: unknown;
  message?: unknown;
};

export class OpenApiClient {
  readonly metrics = new CallMetrics();
  private readonly services = new Map<string, SdkService>();
  private readonly limiter: RateLimiter;
  private readonly log: Logger;
  private readonly random: () => number;
  private warnedProxy = false;

  constructor(private readonly opts: ClientOptions) {
    this.limiter = new RateLimiter(opts.rateLimits, opts.clock ?? REAL_CLOCK);
    this.log = opts.log ?? SILENT;
    this.random = opts.random ?? Math.random;
  }

  /** The client-side rate of an action (for tests and the docs). */
  rateOf(action: string): RatePolicy {
    return this.limiter.policy(action);
  }

  private service(action: string): SdkService {
    const name = ECS_ACTIONS.has(action) ? 'ecs' : 'vpc';
    let s = this.services.get(name);
    if (!s) {
      s = new Service({
        serviceName: name,
        host: this.opts.endpoint.host,
        protocol: this.opts.endpoint.protocol,
        region: this.opts.region,
        defaultVersion: API_VERSION,
      });
      this.services.set(name, s);
    }
    return s;
  }

  private async send(action: string, query: Record<string, string>, creds: Credentials): Promise<unknown> {
    if (process.env.VOLC_PROXY_PORT && !this.warnedProxy) {
      this.warnedProxy = true;
      this.log.warn('VOLC_PROXY_PORT is set: the SDK sends every OpenAPI request through that proxy', {
        proxyHost: process.env.VOLC_PROXY_HOST ?? '127.0.0.1',
      });
    }
    const api = this.service(action).createAPI(action, { Version: API_VERSION, method: 'GET' });
    // Keys are passed on every call so rotated role credentials apply at once; sessionToken undefined clears a stale one.
    return api(query, { timeout: this.opts.timeoutMs } as never, {
      accessKeyId: creds.accessKeyId,
      secretKey: creds.secretKey,
      sessionToken: creds.sessionToken,
    });
  }

  /** The Result of a response body, or the OpenApiError it carries. */
  private parse(action: string, body: unknown): { result?: unknown; requestId?: string; error?: OpenApiError } {
    if (typeof body !== 'object' || body === null) {
      const text = String(body)
        .replace(/<[^>]*>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim()
        .slice(0, 120);
      return { error: new OpenApiError(action, BAD_RESPONSE, `the endpoint answered with something that is not JSON: ${JSON.stringify(text)}`) };
    }
    const env = body as Envelope;
    const meta = env.ResponseMetadata;
    const requestId = meta?.RequestId;
    if (meta?.Error?.Code) {
      return { requestId, error: new OpenApiError(action, meta.Error.Code, meta.Error.Message ?? '', meta.Error.CodeN, requestId) };
    }
    if (!meta) {
      const code = typeof env.errorcode === 'string' && env.errorcode ? env.errorcode : BAD_RESPONSE;
      return { error: new OpenApiError(action, code, `the answer has no ResponseMetadata${env.message ? `: ${String(env.message)}` : ''}`) };
    }
    return { result: env.Result ?? {}, requestId };
  }

  private failure(action: string, err: unknown): OpenApiError {
    if (err instanceof OpenApiError) return err;
    const e = err as Error & { code?: string; isAxiosError?: boolean };
    if (e?.isAxiosError || e?.code) {
      return new OpenApiError(
        action,
        NETWORK_ERROR,
        `${e.code ? `${e.code} ` : ''}${e.message} (endpoint ${this.opts.endpoint.protocol}//${this.opts.endpoint.host})`,
      );
    }
    return new OpenApiError(action, CLIENT_ERROR, e?.message ?? String(err));
  }

  /**
   * One logical call: tries until success, a terminal code, or the class's
   * steps run out. Throws OpenApiError (or the stop signal's reason).
   */
  async call<T = Record<string, unknown>>(action: string, params: Record<string, ParamValue>, opts: CallOptions = {}): Promise<CallResult<T>> {
    const cls = opts.class ?? classOf(action);
    const policy = this.opts.backoff[cls];
    const token = opts.clientToken === true ? randomUUID() : opts.clientToken || undefined;
    const query = flatten({ ...params, ...(token ? { ClientToken: token } : {}) });
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      const rateLimitedMs = await this.limiter.take(action, opts.signal);
      const creds = await this.opts.credentials.get(opts.signal);
      const started = performance.now();
      let outcome: ReturnType<OpenApiClient['parse']>;
      try {
        outcome = this.parse(action, await this.send(action, query, creds));
      } catch (err) {
        outcome = { error: this.failure(action, err) };
      }
      const latencyMs = Math.round(performance.now() - started);
      const event = { action, attempt, latencyMs, rateLimitedMs: Math.round(rateLimitedMs), requestId: outcome.requestId };

      if (!outcome.error) {
        this.metrics.record({ ...event, code: 'OK', willRetry: false }, false);
        (cls === 'write' ? this.log.info : this.log.debug)('openapi call', { ...event, code: 'OK' });
        return { result: outcome.result as T, requestId: outcome.requestId };
      }
      const e = outcome.error;
      let t = opts.failOn?.includes(e.code)
        ? 'fail'
        : treatment(action, e.code, { roleCredentials: this.opts.credentials.kind === 'role', idempotent: isIdempotent(action, !!token) });
      if (t === 'refresh-credentials') {
        if (refreshed) t = 'fail';
        else {
          refreshed = true;
          this.opts.credentials.invalidate();
        }
      }
      const willRetry = t === 'refresh-credentials' || (t === 'retry' && attempt < policy.steps);
      this.metrics.record({ ...event, code: e.code, willRetry }, isThrottle(e.code));
      if (t === 'success') {
        this.log.info('openapi call: already done', { ...event, code: e.code });
        return { result: {} as T, requestId: e.requestId, okCode: e.code };
      }
      this.log.warn('openapi call failed', { ...event, code: e.code, willRetry, error: e.message });
      if (!willRetry) throw e;
      if (t === 'retry') await sleep(backoffDelay(policy, attempt, this.random), opts.signal);
    }
  }
}
