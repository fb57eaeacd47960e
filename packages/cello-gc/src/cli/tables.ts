/** How a sweep's report looks on a terminal: one line per finding, then the summary (JSON output carries every field). */
import type { Column } from '@cello/cli-kit';
import type { Finding, SweepReport } from '../report.ts';

export const findingColumns: Column<Finding>[] = [
  { header: 'KIND', value: (f) => f.kind },
  { header: 'WHAT', value: (f) => f.id },
  { header: 'WHY', value: (f) => f.reason },
  { header: 'ACTION', value: (f) => f.action },
  { header: 'OUTCOME', value: (f) => f.outcome },
  { header: 'NOTE', value: (f) => f.note ?? (f.outcome === 'waiting' ? `since ${f.since}` : '') },
];

/** The lines under the table: sources, summary, step errors. */
export function footer(r: SweepReport): string {
  const s = r.summary;
  const lines = [
    `${r.sweep} sweep of ${r.scope}${r.dryRun ? ' (dry run: nothing changed)' : ''}: ${s.found} found, ${s.fixed} fixed, ${s.wouldFix} would be fixed, ${s.waiting} waiting (grace ${r.graceSec}s${r.asOf ? ` as of ${r.asOf}` : ''}), ${s.skipped} skipped, ${s.failed} failed in ${r.durationMs} ms`,
    `sources: ${Object.entries(r.sources)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ')}`,
    ...r.errors.map((e) => `error: ${e}`),
  ];
  return `${lines.join('\n')}\n`;
}
