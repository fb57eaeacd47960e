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

/** A process and its descendants (a keeper runs under /usr/bin/time). */
export function withDescendants(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      const kids = readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8').trim();
      if (kids) out.push(...kids.split(/\s+/).map(Number));
    } catch {
      // gone
    }
  }
  return out;
}

/** Sample the sum of the given processes' (and their descendants') RSS every `everyMs`; peak() in MiB. */
export function sampleRss(pids: () => number[], everyMs = 500) {
  let peak = 0;
  const tick = () => {
    const sum = pids()
      .flatMap(withDescendants)
      .reduce((a, p) => a + rssKiB(p), 0);
    if (sum > peak) peak = sum;
  };
  const timer = setInterval(tick, everyMs);
  return {
    peakMiB: () => (tick(), peak / 1024),
    stop: () => clearInterval(timer),
  };
}
