/**
 * Peak memory while the benchmark runs: the sim server's own high-water mark
 * (VmHWM) and the largest sum of the keepers' resident sets seen by sampling.
 */
import { readFileSync } from 'node:fs';

export function rssKiB(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Sample the sum of the given processes' RSS every `everyMs`; peak() in MiB. */
export function sampleRss(pids: () => number[], everyMs = 500) {
  let peak = 0;
  const tick = () => {
    const sum = pids().reduce((a, p) => a + rssKiB(p), 0);
    if (sum > peak) peak = sum;
  };
  const timer = setInterval(tick, everyMs);
  return {
    peakMiB: () => (tick(), peak / 1024),
    stop: () => clearInterval(timer),
  };
}
