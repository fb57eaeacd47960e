/**
 * Polling until the cloud, the host or the metadata service reaches a state:
 * the `wait` backoff class between polls (short at first, capped), a total
 * limit of waitTimeoutSec, errors during a poll logged and polled again
 * (upstream does the same), a progress line on a terminal. Never a fixed sleep.
 */
import type { EniContext } from '../context.ts';
import { backoffDelay } from '../openapi/backoff.ts';
import { sleep } from '../util/sleep.ts';

/** Thrown by a check to end the wait at once (the awaited state can no longer come). */
export class WaitFailed extends Error {
  override readonly name = 'WaitFailed';
}

export class WaitTimeout extends Error {
  override readonly name = 'WaitTimeout';
}

/**
 * Call `check` until it returns a value (not undefined). `describe` tells
 * what is awaited and, given the last observation, why it is not there yet.
 * `firstDelayMs` waits before the first check (a state the cloud takes time
 * to reach is not asked for at once: every poll is a read of the account's
 * budget). A check that throws WaitFailed ends the wait.
 */
export async function waitFor<T>(
  ctx: Pick<EniContext, 'config' | 'log' | 'signal' | 'progress'>,
  what: string,
  check: () => Promise<T | undefined>,
  opts: { timeoutMs?: number; lastSeen?: () => string; firstDelayMs?: number } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? ctx.config.waitTimeoutSec * 1000;
  const started = Date.now();
  let lastError: unknown;
  try {
    if (opts.firstDelayMs) await sleep(Math.min(opts.firstDelayMs, timeoutMs), ctx.signal);
    for (let attempt = 1; ; attempt++) {
      try {
        const v = await check();
        if (v !== undefined) return v;
      } catch (err) {
        if (ctx.signal?.aborted || err instanceof WaitFailed) throw err;
        lastError = err;
        ctx.log.debug('poll failed; polling again', { waitingFor: what, error: err });
      }
      const elapsed = Date.now() - started;
      if (elapsed >= timeoutMs) {
        const seen = opts.lastSeen?.() ?? (lastError ? `last error: ${(lastError as Error).message}` : '');
        throw new WaitTimeout(`timed out after ${Math.round(elapsed / 1000)} s waiting for ${what}${seen ? ` (${seen})` : ''}`);
      }
      ctx.progress?.update(`waiting for ${what} (${(elapsed / 1000).toFixed(1)} s)`);
      await sleep(Math.min(backoffDelay(ctx.config.backoff.wait, attempt), timeoutMs - elapsed), ctx.signal);
    }
  } finally {
    ctx.progress?.done();
  }
}
