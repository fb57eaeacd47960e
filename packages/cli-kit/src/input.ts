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
 * absent or `-`. Refuses to wait on an interactive terminal. A file that
 * cannot be read and text that is not JSON are bad input (UsageError, exit 2)
 * naming `what`.
 */
export async function readJsonInput<T = unknown>(file?: string, what = 'input'): Promise<T> {
  const fromFile = Boolean(file && file !== '-');
  let text: string;
  if (fromFile) {
    try {
      text = await readFile(file!, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
  } else {
    if (process.stdin.isTTY) throw new UsageError(`expected ${what} as JSON on stdin or as a file argument`);
    text = await readStdinText();
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new UsageError(`${what}${fromFile ? ` (${file})` : ''} is not valid JSON: ${(err as Error).message}`);
  }
}
