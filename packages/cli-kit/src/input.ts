import { readFileSync } from 'node:fs';
import { UsageError } from './cli.ts';

/**
 * Read a JSON document from a file argument, or from stdin when the argument is
 * absent or `-`. Refuses to wait on an interactive terminal.
 */
export function readJsonInput<T = unknown>(file?: string, what = 'input'): T {
  let text: string;
  if (file && file !== '-') {
    text = readFileSync(file, 'utf8');
  } else {
    if (process.stdin.isTTY) throw new UsageError(`expected ${what} as JSON on stdin or as a file argument`);
    text = readFileSync(0, 'utf8');
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new UsageError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}
