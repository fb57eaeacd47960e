/**
 * What the watching keeper sleeps on between rounds: a change in a directory
 * it cares about, or a deadline. An ADD that finds the pool empty records a
 * demand in the cello-ipam store (a write in the state directory); an
 * operator or the agent rewrites a config file (a ConfigMap update swaps a
 * symlink in the file's directory, which a watch on the file itself would
 * miss). inotify (fs.watch on each directory) wakes the keeper at once, so an
 * idle node costs no wake-ups at all; `fallbackMs` bounds the wait where a
 * watch cannot be set or misses a change (a network file system).
 *
 * A burst of writes (SQLite touches the database, its WAL and its shared
 * memory file for one transaction) wakes one wait, not one per file.
 */
import { type FSWatcher, watch } from 'node:fs';
import { sleep } from './sleep.ts';

/** How long writes that arrive together are given to finish before the keeper looks. */
const SETTLE_MS = 20;

export class Wakeup {
  private readonly watchers: FSWatcher[] = [];
  private changed = false;
  private wake: (() => void) | undefined;

  constructor(dirs: string[]) {
    for (const dir of new Set(dirs)) {
      try {
        const w = watch(dir, { persistent: false }, () => this.poke());
        w.on('error', () => w.close()); // the directory went away: the fallback covers it
        this.watchers.push(w);
      } catch {
        // no such directory, or no inotify: the fallback covers it
      }
    }
  }

  /** How many of the directories are watched. */
  get watched(): number {
    return this.watchers.length;
  }

  /** Something changed: the current (or next) wait ends. */
  poke(): void {
    this.changed = true;
    this.wake?.();
  }

  /**
   * Resolves once a watched directory changed since the last wait ended, or
   * after `ms` (at most `fallbackMs`); rejects when `signal` stops it.
   */
  async wait(ms: number, fallbackMs: number, signal?: AbortSignal): Promise<void> {
    if (!this.changed) {
      const woken = new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      const timeout = new AbortController();
      const stop = () => timeout.abort(signal?.reason);
      signal?.addEventListener('abort', stop, { once: true });
      try {
        await Promise.race([woken, sleep(Math.min(ms, fallbackMs), timeout.signal).catch(() => {})]); // cut short: by a stop, or because woken won
      } finally {
        signal?.removeEventListener('abort', stop);
        timeout.abort();
        this.wake = undefined;
      }
      if (signal?.aborted) await sleep(0, signal); // rejects with the stop reason
    }
    if (this.changed) await sleep(SETTLE_MS, signal);
    this.changed = false;
  }

  close(): void {
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
  }
}
