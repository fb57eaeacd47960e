/**
 * The bookkeeping every sweep step shares: register a leak candidate, decide
 * whether its grace period is over, then run the fix (or not, in a dry run)
 * and record the outcome. Steps only say what they found and how to fix it.
 */
import type { Logger } from '@cello/cli-kit';
import type { FirstSeen } from './first-seen.ts';
import type { Finding, LeakKind } from './report.ts';

export interface Ledger {
  readonly dryRun: boolean;
  readonly graceMs: number;
  readonly now: Date;
  readonly seen: FirstSeen;
  readonly findings: Finding[];
  readonly log: Logger;
}

export interface Candidate {
  kind: LeakKind;
  id: string;
  reason: string;
  action: string;
  /** Key in the first-seen table (defaults to kind:id). */
  key?: string;
  /**
   * The grace counts from here instead of the first-seen table (cloud
   * timestamps, which survive a lost table). Later of the two when both apply.
   */
  since?: Date;
  /** Use only `since`, not the first-seen table. */
  sinceOnly?: boolean;
}

/** Thrown by a fix that decided, on a last look, to leave the object alone. */
export class Skip extends Error {
  override readonly name = 'Skip';
}

const keys = new WeakMap<Finding, string>();

/** Register a candidate and say whether its grace period is over. */
export function register(l: Ledger, c: Candidate): { finding: Finding; due: boolean } {
  const key = c.key ?? `${c.kind}:${c.id}`;
  const first = c.sinceOnly ? undefined : l.seen.see(key, l.now);
  const since = [first, c.since].filter((d): d is Date => d !== undefined).reduce((a, b) => (a > b ? a : b), new Date(0));
  const finding: Finding = { kind: c.kind, id: c.id, reason: c.reason, action: c.action, outcome: 'waiting', since: since.toISOString() };
  l.findings.push(finding);
  keys.set(finding, key);
  return { finding, due: l.now.getTime() - since.getTime() >= l.graceMs };
}

/**
 * Fix a registered candidate if it is due: `waiting` inside the grace,
 * `would-fix` in a dry run, else run `fix` → `fixed`, `skipped` (it threw
 * Skip) or `failed` (anything else thrown).
 */
export async function settle(l: Ledger, f: Finding, due: boolean, fix: () => Promise<unknown>): Promise<void> {
  if (!due) return;
  if (l.dryRun) {
    f.outcome = 'would-fix';
    return;
  }
  try {
    await fix();
    f.outcome = 'fixed';
    l.seen.forget(keys.get(f)!);
    l.log.info('fixed', { kind: f.kind, id: f.id, action: f.action, reason: f.reason });
  } catch (err) {
    f.note = (err as Error).message;
    f.outcome = err instanceof Skip ? 'skipped' : 'failed';
    if (err instanceof Skip) l.log.info('left alone', { kind: f.kind, id: f.id, note: f.note });
    else l.log.warn('could not fix', { kind: f.kind, id: f.id, note: f.note });
  }
}

/** Record something found but deliberately left alone this run (not a failure). */
export function skipped(l: Ledger, c: Candidate, note: string): void {
  l.findings.push({ kind: c.kind, id: c.id, reason: c.reason, action: c.action, outcome: 'skipped', note });
}
