/**
 * Client-side rate limits: a token bucket per API action, so one node never
 * spends the account's flow limit (every node of a cluster shares it).
 * `qps` tokens per second refill a bucket of `burst`; a call takes one token
 * or waits, first come first served. The clock is injectable for tests.
 */
import type { RatePolicy } from '../config/resolve.ts';
import { sleep } from '../util/sleep.ts';

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const REAL_CLOCK: Clock = { now: () => performance.timeOrigin + performance.now(), sleep };

export class TokenBucket {
  private tokens: number;
  private last: number;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly clock: Clock = REAL_CLOCK,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  private refill(now: number) {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
  }

  /** Take a token now if there is one: 0; else how many ms until there will be. */
  tryTake(): number {
    this.refill(this.clock.now());
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.qps);
  }

  /** Wait for a token (in arrival order); resolves with the ms waited. */
  take(signal?: AbortSignal): Promise<number> {
    const start = this.clock.now();
    const turn = this.queue.then(async () => {
      for (let wait = this.tryTake(); wait > 0; wait = this.tryTake()) await this.clock.sleep(wait, signal);
      return this.clock.now() - start;
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }
}

/** One bucket per action, from the config's rateLimits (`default` for the rest). */
export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly limits: Record<string, RatePolicy>,
    private readonly clock: Clock = REAL_CLOCK,
  ) {}

  policy(action: string): RatePolicy {
    return this.limits[action] ?? this.limits.default ?? { qps: 10, burst: 10 };
  }

  bucket(action: string): TokenBucket {
    let b = this.buckets.get(action);
    if (!b) {
      const p = this.policy(action);
      b = new TokenBucket(p.qps, p.burst, this.clock);
      this.buckets.set(action, b);
    }
    return b;
  }

  take(action: string, signal?: AbortSignal): Promise<number> {
    return this.bucket(action).take(signal);
  }
}
