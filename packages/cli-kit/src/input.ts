import { readFile } from 'node:fs/promises';
import { UsageError } from './cli.ts';

/** All of stdin as text, read from the stream (a sync read of fd 0 fails with EAGAIN on non-blocking pipes). */
export async function readStdinText(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Read a JSON document from a file argument, or from stdin when the argument is
 * absent or `-`. Refuses to wait on an interactive terminal.
 */
export async function readJsonInput<T = unknown>(file?: string, what = 'input'): Promise<T> {
  let text: string;
  if (file && file !== '-') {
    text = await readFile(file, 'utf8');
  } else {
    if (process.stdin.isTTY) throw new UsageError(`expected ${what} as JSON on stdin or as a file argument`);
    text = await readStdinText();
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new UsageError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}
