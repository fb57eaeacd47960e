/**
 * `--once` (cron) or `--watch --interval` (the agent): run a sweep now and,
 * when watching, again after each jittered interval until the stop signal.
 * Jitter (±20 %) keeps a DaemonSet's nodes from sweeping — and calling the
 * cloud — in lockstep.
 */
export interface RepeatOptions {
  watch: boolean;
  intervalSec: number;
  signal: AbortSignal;
  /** Share of the interval the wait may move by, each way (default 0.2). */
  jitter?: number;
  random?: () => number;
}

/** The wait before the next sweep: interval × (1 ± jitter). */
export function nextDelayMs(intervalSec: number, jitter = 0.2, random: () => number = Math.random): number {
  return Math.round(intervalSec * 1000 * (1 - jitter + 2 * jitter * random()));
}

export async function repeat(opts: RepeatOptions, sweep: () => Promise<void>): Promise<void> {
  for (;;) {
    await sweep();
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
