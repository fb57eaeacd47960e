/**
 * Every OpenAPI call, counted: an EventEmitter the agent can turn into
 * metrics (`client.metrics.on('call', e => …)`) and a snapshot of the totals
 * per action (`client.metrics.snapshot()`).
 */
import { EventEmitter } from 'node:events';

export interface CallEvent {
  action: string;
  /** `OK` or the error code (NetworkError, BadResponse for transport failures). */
  code: string;
  latencyMs: number;
  /** 1 for the first try of a logical call. */
  attempt: number;
  requestId?: string;
  /** The client will try again after this one. */
  willRetry: boolean;
  /** Time spent waiting for the client-side rate limit before sending. */
  rateLimitedMs: number;
}

export interface ActionTotals {
  calls: number;
  ok: number;
  errors: Record<string, number>;
  retries: number;
  throttled: number;
  latencyMsSum: number;
  latencyMsMax: number;
  rateLimitedMsSum: number;
}

export class CallMetrics extends EventEmitter<{ call: [CallEvent] }> {
  private readonly totals = new Map<string, ActionTotals>();

  record(e: CallEvent, throttled: boolean): void {
    let t = this.totals.get(e.action);
    if (!t) {
      t = { calls: 0, ok: 0, errors: {}, retries: 0, throttled: 0, latencyMsSum: 0, latencyMsMax: 0, rateLimitedMsSum: 0 };
      this.totals.set(e.action, t);
    }
    t.calls++;
    if (e.code === 'OK') t.ok++;
    else t.errors[e.code] = (t.errors[e.code] ?? 0) + 1;
    if (e.attempt > 1) t.retries++;
    if (throttled) t.throttled++;
    t.latencyMsSum += e.latencyMs;
    t.latencyMsMax = Math.max(t.latencyMsMax, e.latencyMs);
    t.rateLimitedMsSum += e.rateLimitedMs;
    this.emit('call', e);
  }

  /** Totals per action since the client was made. */
  snapshot(): Record<string, ActionTotals> {
    return Object.fromEntries([...this.totals].map(([a, t]) => [a, { ...t, errors: { ...t.errors } }]));
  }
}
