/**
 * What a sweep prints: every leak it found, what it did about each, and a
 * summary. The same record for `cello-gc node` and `cello-gc cluster`
 * (src/cli/tables.ts shows it on a terminal).
 */
/** What kind of leftover a finding is (a stable code for scripts and alerts). */
export type LeakKind =
  /** An allocation in cello-ipam whose sandbox is gone. */
  | 'allocation'
  /** A host veth `cel…`, ifb `cbw…` or ipvlan host slave `ipvl_N` no allocation or ENI accounts for. */
  | 'host-link'
  /** A route cello made (proto 207) for an IP nobody holds, or in the table of an ENI cello-ipam does not know. */
  | 'host-route'
  /** A policy rule at priority 500/512/1536 (proto 207) for an IP nobody holds. */
  | 'host-rule'
  /** An ENI tagged for this instance, detached (Available) and unknown to cello-ipam. */
  | 'eni-detached'
  /** An ENI tagged for this instance, attached here, that cello-ipam does not know. */
  | 'eni-unknown'
  /** An IP the cloud assigned to one of our ENIs that cello-ipam does not know. */
  | 'ip-unknown'
  /** (cluster) An ENI of the cluster whose instance is gone or is not a node of the cluster. */
  | 'eni-orphaned';

/**
 * - fixed: done in this run;
 * - would-fix: --dry-run, otherwise it would have been done;
 * - waiting: a leak, but still inside its grace period (see firstSeen);
 * - skipped: left alone on purpose this run (reason says why), not a failure;
 * - failed: gc tried and could not (error says why): the run exits 1.
 */
export type Outcome = 'fixed' | 'would-fix' | 'waiting' | 'skipped' | 'failed';

export interface Finding {
  kind: LeakKind;
  /** What it is: a CNI triple, a link name, a route, an ENI id, an IP. */
  id: string;
  /** Why it is a leak. */
  reason: string;
  /** What gc does about it: release, delete, adopt, unassign, detach+delete, mark. */
  action: string;
  outcome: Outcome;
  /** When gc first found it (the grace period counts from here, or from the cloud's timestamps). */
  since?: string;
  /** Why skipped or failed. */
  note?: string;
}

export interface Summary {
  found: number;
  fixed: number;
  wouldFix: number;
  waiting: number;
  skipped: number;
  failed: number;
}

export interface SweepReport {
  sweep: 'node' | 'cluster';
  /** Node name (node sweep) or cluster name (cluster sweep). */
  scope: string;
  instanceId?: string;
  dryRun: boolean;
  graceSec: number;
  startedAt: string;
  /** The time grace periods were judged at, when --now set one (otherwise startedAt). */
  asOf?: string;
  durationMs: number;
  /** What each source of truth said: ok, off, or why it could not be read. */
  sources: Record<string, string>;
  findings: Finding[];
  /** Steps that could not run at all (the cloud unreachable, …): the run exits 1. */
  errors: string[];
  summary: Summary;
  /** OpenAPI calls made, per action (when the cloud was used). */
  calls?: Record<string, number>;
}

export function summarize(findings: readonly Finding[]): Summary {
  const count = (o: Outcome) => findings.filter((f) => f.outcome === o).length;
  return {
    found: findings.length,
    fixed: count('fixed'),
    wouldFix: count('would-fix'),
    waiting: count('waiting'),
    skipped: count('skipped'),
    failed: count('failed'),
  };
}

/** An empty report for a sweep starting now. */
export function newReport(sweep: SweepReport['sweep'], scope: string, opts: { dryRun: boolean; graceSec: number; started: number; now?: Date }): SweepReport {
  return {
    sweep,
    scope,
    dryRun: opts.dryRun,
    graceSec: opts.graceSec,
    startedAt: new Date(opts.started).toISOString(),
    ...(opts.now ? { asOf: opts.now.toISOString() } : {}),
    durationMs: 0,
    sources: {},
    findings: [],
    errors: [],
    summary: summarize([]),
  };
}

/** Close a report: the summary, the time taken, and the OpenAPI calls per action of the client used (if any). */
export function finishReport(r: SweepReport, started: number, metrics?: { snapshot(): Record<string, { calls: number }> }): SweepReport {
  if (metrics) r.calls = Object.fromEntries(Object.entries(metrics.snapshot()).map(([a, t]) => [a, t.calls]));
  r.summary = summarize(r.findings);
  r.durationMs = Date.now() - started;
  return r;
}

/** 1 when something found could not be fixed or a step could not run. */
export const exitCodeOf = (r: SweepReport): number => (r.summary.failed > 0 || r.errors.length > 0 ? 1 : 0);
