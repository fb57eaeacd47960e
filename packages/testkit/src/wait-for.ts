/**
 * Polling for tests: wait until something is true (a process logged a line,
 * the pool reached a size) instead of sleeping and hoping. The timeout is a
 * bound on a wait, not a measurement, and the error names what never came.
 */

export interface WaitForOptions {
  /** What is awaited, for the error: "the keeper to log 'watching'". */
  what: string;
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** Poll this often (default 200 ms). */
  everyMs?: number;
}

/**
 * Call `probe` until it returns something other than `undefined` or `false`,
 * and resolve to that. A probe that throws counts as not yet; after
 * `timeoutMs` it rejects naming `what` and the probe's last error.
 */
export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, opts: WaitForOptions): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const why = last === undefined ? '' : ` (last error: ${last instanceof Error ? last.message : String(last)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what}${why}`);
    }
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 200));
  }
}
