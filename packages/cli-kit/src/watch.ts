/**
 * What a long-running command shares: the stop signal (SIGTERM or SIGINT)
 * and the `--once` / `--watch` loop that runs a step now and, watching,
 * again after every interval until stopped.
 */

/**
 * An AbortSignal that SIGINT or SIGTERM aborts, so a long-running command
 * (a keeper, a watch loop) can stop cleanly. A second signal exits at once
 * with 128+n, unless `secondSignal: 'ignore'` (a supervised child that must
 * finish its shutdown whatever its process group receives).
 */
export function stopOnSignals(
  opts: { log?: { info(msg: string, f?: Record<string, unknown>): void }; message?: string; secondSignal?: 'exit' | 'ignore' } = {},
): AbortSignal {
  const ac = new AbortController();
  for (const [sig, n] of [
    ['SIGINT', 2],
    ['SIGTERM', 15],
  ] as const) {
    process.on(sig, () => {
      if (ac.signal.aborted) {
        if (opts.secondSignal !== 'ignore') process.exit(128 + n);
        return;
      }
      opts.log?.info(opts.message ?? 'stopping (send the signal again to exit at once)', { signal: sig });
      ac.abort();
    });
  }
  return ac.signal;
}

/** Resolves once `signal` is aborted (at once if it already is). */
export function untilStopped(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}

export interface RepeatOptions {
  /** Run again after every interval (`--watch`); false runs the step once (`--once`). */
  watch: boolean;
  intervalSec: number;
  signal: AbortSignal;
  /** Share of the interval the wait may move by, each way (default 0.2). */
  jitter?: number;
  random?: () => number;
}

/**
 * The wait before the next run: interval × (1 ± jitter). The jitter keeps a
 * DaemonSet's nodes from acting (and calling the cloud) in lockstep.
 */
export function nextDelayMs(intervalSec: number, jitter = 0.2, random: () => number = Math.random): number {
  return Math.round(intervalSec * 1000 * (1 - jitter + 2 * jitter * random()));
}

/** `--once` or `--watch --interval`: run `step` now and, watching, again after each jittered interval until the stop signal. */
export async function repeat(opts: RepeatOptions, step: () => Promise<void>): Promise<void> {
  for (;;) {
    await step();
    if (!opts.watch || opts.signal.aborted) return;
    const delay = nextDelayMs(opts.intervalSec, opts.jitter, opts.random);
    const stopped = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), delay);
      opts.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve(true);
        },
        { once: true },
      );
    });
    if (stopped) return;
  }
}
