/**
 * Follow cello-cni's JSON-lines log (/var/log/cello/cni.log) and turn each
 * CNI call into a record: verb, outcome, duration. cello-cni runs as a fresh
 * process per call, so its log is the one place that sees them all.
 *
 * What a line means (packages/cello-cni/src/node-store.ts, withNodeStore, closes every call
 * with one of the first two): `<VERB> done` ends a call that worked (`ms` is
 * its duration); `<VERB> failed`, or any earlier `error` line, marks the call
 * with that trace id as failed (counted once per trace id). `no free IP;
 * waiting for the pool keeper` (add.ts) says an ADD found the pool empty
 * (with the reason).
 *
 * The file is read from where it ended at the last poll; if it shrank or was
 * replaced (log rotation) reading starts again at its beginning. A partial
 * last line waits for the next poll.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export type CniCall = { kind: 'done'; verb: string; ms?: number } | { kind: 'failed'; verb: string; reason: string } | { kind: 'pool-empty'; reason: string };

interface Line {
  level?: string;
  msg?: string;
  verb?: string;
  traceId?: string;
  ms?: number;
  code?: number | string;
  reason?: string;
}

/** One log line as a call record, or undefined if the line records nothing we count. */
export function interpret(line: Line, failedTraces: Set<string>): CniCall | undefined {
  const verb = typeof line.verb === 'string' ? line.verb : undefined;
  if (!verb || typeof line.msg !== 'string') return undefined;
  if (line.msg === `${verb} done`) return { kind: 'done', verb, ...(typeof line.ms === 'number' ? { ms: line.ms } : {}) };
  if (line.msg === 'no free IP; waiting for the pool keeper') return { kind: 'pool-empty', reason: String(line.reason ?? 'unknown') };
  if (line.level === 'error' || line.msg === `${verb} failed`) {
    const trace = line.traceId ?? `${verb}:${line.msg}:${Math.random()}`;
    if (failedTraces.has(trace)) return undefined;
    failedTraces.add(trace);
    if (failedTraces.size > 1000) failedTraces.delete(failedTraces.values().next().value!);
    return { kind: 'failed', verb, reason: line.code !== undefined ? `code ${line.code}` : line.msg };
  }
  return undefined;
}

export class CniLogTail {
  private offset: number | undefined;
  private inode = 0;
  private partial = '';
  private readonly failedTraces = new Set<string>();

  constructor(
    readonly file: string,
    private readonly onCall: (c: CniCall) => void,
    /** Start at the end of what is there now (default) or at the beginning. */
    readonly from: 'end' | 'start' = 'end',
  ) {}

  /** Read what was appended since the last poll. Never throws (a missing file is simply empty). */
  poll(): void {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      // Not there yet: whatever appears later is new.
      this.offset ??= 0;
      return;
    }
    try {
      const st = fstatSync(fd);
      if (this.offset === undefined) this.offset = this.from === 'end' ? st.size : 0;
      if (st.ino !== this.inode || st.size < this.offset) {
        if (this.inode !== 0) this.offset = 0;
        this.inode = st.ino;
        this.partial = '';
      }
      const buf = Buffer.alloc(64 * 1024);
      while (this.offset < st.size) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, st.size - this.offset), this.offset);
        if (n <= 0) break;
        this.offset += n;
        this.consume(buf.toString('utf8', 0, n));
      }
    } finally {
      closeSync(fd);
    }
  }

  private consume(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const l of lines) {
      if (!l.trim()) continue;
      let parsed: Line;
      try {
        parsed = JSON.parse(l) as Line;
      } catch {
        continue;
      }
      const call = interpret(parsed, this.failedTraces);
      if (call) this.onCall(call);
    }
  }
}
