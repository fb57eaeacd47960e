/**
 * make bench: run every suite in src/suites (or those named on the command
 * line). A suite default-exports { name, run(): Promise<BenchReport> } and
 * measures cello beside a reference in the same run.
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchReport, publish } from './report.ts';

interface Suite {
  name: string;
  run(): Promise<BenchReport>;
}

const dir = join(dirname(fileURLToPath(import.meta.url)), 'suites');
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .filter((f) => !wanted.length || wanted.includes(basename(f, '.ts')))
  .sort();

let failed = 0;
for (const file of files) {
  const suite = (await import(join(dir, file))).default as Suite;
  try {
    publish(await suite.run());
  } catch (err) {
    failed++;
    console.error(`bench ${suite.name}: ${(err as Error).stack ?? err}`);
  }
}
console.log(`\n${files.length - failed} suites ran, ${failed} failed (reports in .bench/)`);
process.exitCode = failed ? 1 : 0;
