/**
 * CNI call metrics from cello-cni's log: ADD/DEL latency, calls by outcome,
 * failures by reason, and ADDs that found the pool empty.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import { type CniCall, CniLogTail } from './cni-log.ts';

/** Buckets in ms: a veth ADD takes tens of ms, one that waits for the keeper seconds. */
const LATENCY_BUCKETS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000];

export function registerCniMetrics(registry: Registry, cniLog: string): CniLogTail {
  const latency = new Histogram({
    name: 'cello_cni_latency_ms',
    help: 'Duration of CNI calls that succeeded, by verb (from cello-cni’s log)',
    labelNames: ['verb'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const calls = new Counter({
    name: 'cello_cni_calls_total',
    help: 'CNI calls by verb and result (ok, failed)',
    labelNames: ['verb', 'result'],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'cello_cni_failures_total',
    help: 'Failed CNI calls by verb and reason',
    labelNames: ['verb', 'reason'],
    registers: [registry],
  });
  const empty = new Counter({
    name: 'cello_cni_pool_empty_total',
    help: 'ADDs that found no free IP and waited for the keeper, by reason (no-eni, exhausted, cooling)',
    labelNames: ['reason'],
    registers: [registry],
  });
  // Every series exists from the start, so a rate() has a zero to start from.
  for (const verb of ['ADD', 'DEL']) for (const result of ['ok', 'failed']) calls.inc({ verb, result }, 0);

  const onCall = (c: CniCall) => {
    if (c.kind === 'done') {
      calls.inc({ verb: c.verb, result: 'ok' });
      if (c.ms !== undefined) latency.observe({ verb: c.verb }, c.ms);
    } else if (c.kind === 'failed') {
      calls.inc({ verb: c.verb, result: 'failed' });
      failures.inc({ verb: c.verb, reason: c.reason });
    } else {
      empty.inc({ reason: c.reason });
    }
  };
  return new CniLogTail(cniLog, onCall);
}
