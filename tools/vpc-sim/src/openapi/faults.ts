/**
 * Fault injection and flow limits, applied to each authenticated call:
 * - throttle: more than `rate` calls/s of an action → FlowLimitExceeded (429);
 *   action "*" limits every action, each counted separately;
 * - error: answer with an HTTP 5xx (and its error envelope);
 * - garbage: answer with a non-JSON (HTML) body;
 * - latency: hold the answer for `ms`;
 * - nth: fail the n-th call of an action (counted from now) with a code.
 * `times` limits how many calls a fault hits (default: until cleared);
 * `probability` makes it hit only a share of the calls.
 */
import { CloudError } from '../cloud/errors.ts';

export type FaultSpec =
  | { kind: 'throttle'; action?: string; rate: number }
  | { kind: 'error'; action?: string; status?: number; code?: string; times?: number; probability?: number }
  | { kind: 'garbage'; action?: string; status?: number; times?: number; probability?: number }
  | { kind: 'latency'; action?: string; ms: number; times?: number; probability?: number }
  | { kind: 'nth'; action: string; n: number; code: string; status?: number };

export type Fault = FaultSpec & { id: number; hits: number; calls: number; source: 'fault' | 'config' };

export interface FaultDecision {
  latencyMs: number;
  error?: CloudError;
  garbage?: { status: number; body: string };
  faultIds: number[];
}

const CODE_FOR_STATUS: Record<number, string> = {
  500: 'InternalError',
  502: 'InternalServiceError',
  503: 'ServiceUnavailableTemp',
  504: 'InternalServiceTimeout',
};

export class FaultError extends Error {
  override readonly name = 'FaultError';
}

function check(spec: FaultSpec): FaultSpec {
  const bad = (why: string) => new FaultError(`fault ${spec.kind}: ${why}`);
  const positiveInt = (name: string, v: unknown) => {
    if (!Number.isInteger(v) || (v as number) < 1) throw bad(`${name} must be a whole number ≥ 1, got ${v}`);
  };
  if ('times' in spec && spec.times !== undefined) positiveInt('times', spec.times);
  if ('probability' in spec && spec.probability !== undefined && !(spec.probability > 0 && spec.probability <= 1)) {
    throw bad(`probability must be in (0, 1], got ${spec.probability}`);
  }
  switch (spec.kind) {
    case 'throttle':
      positiveInt('rate', spec.rate);
      break;
    case 'error':
      if (spec.status !== undefined && !(Number.isInteger(spec.status) && spec.status >= 500 && spec.status <= 599))
        throw bad(`status must be 5xx, got ${spec.status}`);
      break;
    case 'garbage':
      if (spec.status !== undefined && !(Number.isInteger(spec.status) && spec.status >= 200 && spec.status <= 599))
        throw bad(`status must be an HTTP status, got ${spec.status}`);
      break;
    case 'latency':
      if (!Number.isInteger(spec.ms) || spec.ms < 0) throw bad(`ms must be a whole number ≥ 0, got ${spec.ms}`);
      break;
    case 'nth':
      if (!spec.action) throw bad('needs an action');
      positiveInt('n', spec.n);
      if (!spec.code) throw bad('needs a code');
      if (spec.status !== undefined && !(Number.isInteger(spec.status) && spec.status >= 400 && spec.status <= 599))
        throw bad(`status must be 4xx or 5xx, got ${spec.status}`);
      break;
    default:
      throw new FaultError(`unknown fault kind ${(spec as { kind: string }).kind} (throttle, error, garbage, latency, nth)`);
  }
  return spec;
}

export class Faults {
  private faults: Fault[] = [];
  private nextId = 1;
  /** Call times per throttle rule and action, for the sliding one-second window. */
  private windows = new Map<string, number[]>();

  constructor(flowLimits: Record<string, number> = {}) {
    for (const [action, rate] of Object.entries(flowLimits)) {
      this.faults.push({ kind: 'throttle', action, rate, id: this.nextId++, hits: 0, calls: 0, source: 'config' });
    }
  }

  add(spec: FaultSpec): Fault {
    const f = { ...check(spec), id: this.nextId++, hits: 0, calls: 0, source: 'fault' } as Fault;
    this.faults.push(f);
    return f;
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /** Remove one injected fault, or every injected one (flow limits from the config stay). */
  clear(id?: number): number {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.source === 'config' || (id !== undefined && f.id !== id));
    return before - this.faults.length;
  }

  decide(action: string, now = Date.now()): FaultDecision {
    const d: FaultDecision = { latencyMs: 0, faultIds: [] };
    for (const f of this.faults) {
      if (f.action && f.action !== '*' && f.action !== action) continue;
      if (f.kind === 'throttle') {
        const key = `${f.id}:${action}`;
        const w = (this.windows.get(key) ?? []).filter((t) => t > now - 1000);
        this.windows.set(key, w);
        if (w.length >= f.rate) {
          this.hit(f, d);
          d.error ??= new CloudError('FlowLimitExceeded', `Request was denied due to flow control: at most ${f.rate} ${action} calls per second.`);
        } else {
          w.push(now);
        }
        continue;
      }
      f.calls++;
      if (f.kind === 'nth') {
        if (f.calls === f.n) {
          this.hit(f, d);
          d.error ??= new CloudError(f.code, `Injected failure of call ${f.n} of ${action}.`, f.status);
        }
        continue;
      }
      if (f.probability !== undefined && Math.random() >= f.probability) continue;
      this.hit(f, d);
      if (f.kind === 'latency') d.latencyMs += f.ms;
      if (f.kind === 'error') {
        const status = f.status ?? 500;
        d.error ??= new CloudError(f.code ?? CODE_FOR_STATUS[status] ?? 'InternalError', `Injected server error ${status}.`, status);
      }
      if (f.kind === 'garbage') {
        const status = f.status ?? 502;
        d.garbage ??= {
          status,
          body: `<html><head><title>${status}</title></head><body><center><h1>${status} Bad Gateway</h1></center><hr><center>sim-gateway</center></body></html>\n`,
        };
      }
    }
    this.faults = this.faults.filter((f) => !(('times' in f && f.times !== undefined && f.hits >= f.times) || (f.kind === 'nth' && f.calls >= f.n)));
    return d;
  }

  private hit(f: Fault, d: FaultDecision) {
    f.hits++;
    d.faultIds.push(f.id);
  }
}
