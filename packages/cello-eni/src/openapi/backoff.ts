/**
 * Retry schedules per operation class (write / describe / wait), as
 * upstream's table: attempt n sleeps initial × factor^(n−1), capped at maxMs,
 * stretched by up to `jitter` of itself (k8s wait.Jitter), so many nodes
 * throttled together do not retry in step.
 */
import type { BackoffPolicy } from '../config/resolve.ts';

/** The sleep after failed attempt `attempt` (1-based). */
export function backoffDelay(p: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(p.maxMs, p.initialMs * p.factor ** (attempt - 1));
  return Math.round(base * (1 + p.jitter * random()));
}
