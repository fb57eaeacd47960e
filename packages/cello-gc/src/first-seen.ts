/**
 * When gc first saw each leak candidate, kept across runs in a small JSON
 * file in the state directory (`gc-first-seen.json` beside cello-ipam's
 * database). A candidate is acted on only once it has been a candidate for
 * the whole grace period; one that stops being a candidate is forgotten, so
 * its clock starts again if it comes back.
 *
 * The file is replaced atomically (temp file, fsync, rename, fsync of the
 * directory): a crash leaves the old table or the new one. A missing or
 * unreadable table only makes candidates wait one more grace period.
 */
import { join } from 'node:path';
import { readJsonFile, writeFileAtomic } from '@cello/cli-kit';

export const FIRST_SEEN_FILE = 'gc-first-seen.json';

interface FileShape {
  version: 1;
  /** candidate key → ISO time first seen */
  seen: Record<string, string>;
}

export class FirstSeen {
  private readonly next = new Map<string, string>();
  private readonly finished = new Set<string>();

  private constructor(
    readonly path: string | undefined,
    private readonly prev: Map<string, string>,
  ) {}

  /** The table in `stateDir`, or an in-memory one (dry runs that must not write, tests). */
  static load(stateDir: string | undefined): FirstSeen {
    const path = stateDir ? join(stateDir, FIRST_SEEN_FILE) : undefined;
    const prev = new Map<string, string>();
    // Missing or damaged: every candidate starts its grace period now.
    const doc = path ? readJsonFile<Partial<FileShape>>(path) : undefined;
    for (const [k, v] of Object.entries(doc?.seen ?? {})) if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) prev.set(k, v);
    return new FirstSeen(path, prev);
  }

  /** Record `key` as a candidate in this run; returns when it was first seen. */
  see(key: string, now: Date): Date {
    const iso = this.next.get(key) ?? this.prev.get(key) ?? now.toISOString();
    this.next.set(key, iso);
    return new Date(iso);
  }

  /** Forget `key` (it was fixed): it will not be written back. */
  forget(key: string): void {
    this.next.delete(key);
    this.prev.delete(key);
  }

  /**
   * The step that owns keys starting with `prefix` ran to the end: its
   * candidates not seen in this run are dropped. Keys of steps that did not
   * finish keep their times.
   */
  finish(prefix: string): void {
    this.finished.add(prefix);
  }

  /** Write the table (no-op for an in-memory one). */
  save(): void {
    if (!this.path) return;
    const seen: Record<string, string> = {};
    for (const [k, v] of this.prev) if (![...this.finished].some((p) => k.startsWith(p))) seen[k] = v;
    for (const [k, v] of this.next) seen[k] = v;
    writeFileAtomic(this.path, `${JSON.stringify({ version: 1, seen } satisfies FileShape, null, 1)}\n`);
  }
}
