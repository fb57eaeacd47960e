/**
 * The sim's OpenAPI call log, summed: calls and throttled answers per action,
 * reads (Describe*, List*) and writes apart.
 */
import type { Sim } from './sim.ts';

export interface ActionCount {
  calls: number;
  throttled: number;
  errors: number;
}

export interface CallSummary {
  byAction: Record<string, ActionCount>;
  reads: number;
  writes: number;
  throttled: number;
  /** Reads that were answered (not throttled): what the account's read budget paid for useful work. */
  readsOk: number;
  writesOk: number;
}

export const isRead = (action: string) => /^(Describe|List)/.test(action);

/** Every call after `since` (a sequence number; 0 = all). */
export async function callSummary(sim: Sim, since = 0, filter: (caller: string) => boolean = () => true): Promise<CallSummary & { lastSeq: number }> {
  const calls = (await sim.control.calls({ since })).filter((c) => filter(c.caller));
  const byAction: Record<string, ActionCount> = {};
  const s = { byAction, reads: 0, writes: 0, throttled: 0, readsOk: 0, writesOk: 0, lastSeq: since };
  for (const c of calls) {
    const a = (byAction[c.action] ??= { calls: 0, throttled: 0, errors: 0 });
    a.calls++;
    const throttled = c.code === 'FlowLimitExceeded';
    if (throttled) a.throttled++;
    else if (c.code !== 'OK') a.errors++;
    if (throttled) s.throttled++;
    if (isRead(c.action)) {
      s.reads++;
      if (!throttled) s.readsOk++;
    } else {
      s.writes++;
      if (!throttled) s.writesOk++;
    }
    s.lastSeq = Math.max(s.lastSeq, c.seq);
  }
  return s;
}

export function formatCalls(s: CallSummary): string {
  return Object.entries(s.byAction)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([a, c]) => `${a} ${c.calls}${c.throttled ? ` (${c.throttled} throttled)` : ''}`)
    .join(', ');
}
