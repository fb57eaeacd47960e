/** The log of OpenAPI calls that `vpc-sim calls` prints: who called what, with what, and how it ended. */
import { redact } from '@cello/cli-kit';

export interface CallRecord {
  seq: number;
  time: string;
  sourceIp: string;
  /** The calling instance (by source address), `owner`, `control` (unsigned admin calls) or `unknown`. */
  caller: string;
  /** How the request authenticated: `owner`, `role` (STS from metadata), `admin` or `none`. */
  auth: string;
  action: string;
  service: string;
  params: Record<string, unknown>;
  /** `OK` or the error code. */
  code: string;
  status: number;
  latencyMs: number;
  faults?: number[];
}

const KEEP = 20_000;

export class CallLog {
  private records: CallRecord[] = [];
  private seq = 0;

  add(r: Omit<CallRecord, 'seq' | 'params'> & { params: Record<string, unknown> }): CallRecord {
    const rec = { seq: ++this.seq, ...r, params: redact(r.params) };
    this.records.push(rec);
    if (this.records.length > KEEP) this.records.splice(0, this.records.length - KEEP);
    return rec;
  }

  /** Records after `since` (a sequence number, or an ISO time). */
  list(since?: string | number, action?: string): CallRecord[] {
    let out = this.records;
    if (since !== undefined && since !== '') {
      const n = Number(since);
      out = Number.isFinite(n) ? out.filter((r) => r.seq > n) : out.filter((r) => r.time > String(since));
    }
    return action ? out.filter((r) => r.action === action) : [...out];
  }

  get lastSeq(): number {
    return this.seq;
  }
}
