import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@cello/testkit';

/** One benchmark's findings: figures, and the ratios against its in-run reference. */
export interface BenchReport {
  suite: string;
  /** What was measured, one line each, for the console and the closing notes. */
  lines: string[];
  /** Machine-readable figures. */
  data: Record<string, unknown>;
}

/** Print a report and keep it as JSON under .bench/<suite>.json. */
export function publish(report: BenchReport): void {
  console.log(`\n## ${report.suite}`);
  for (const line of report.lines) console.log(`  ${line}`);
  const dir = join(repoRoot, '.bench');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${report.suite}.json`), `${JSON.stringify(report, null, 2)}\n`);
}

export const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');
export const ms = (v: number) => `${v.toFixed(1)} ms`;
