/**
 * How a cello command ends: its exit code and, on failure, one line on
 * stderr. A command returns its code from `main` (or from its yargs
 * handler, see runCommandLine in ./yargs.ts) and throws for a failure,
 * instead of setting process.exitCode or calling process.exit itself.
 */

/** Exit codes shared by every cello command. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Bad input, the one type for it (defined in @cello/records, whose parsers throw it): exit EXIT_USAGE. */
export { UsageError } from '@cello/records';

/** A failure with a message meant for the operator, optionally with its own exit code. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    message: string,
    readonly exitCode = EXIT_FAILURE,
  ) {
    super(message);
  }
}

export interface RunOptions {
  /**
   * Exit as soon as main has ended, whatever handles are still open (a
   * keep-alive socket a library left behind must not keep a daemon's
   * process alive). stdout and stderr are synchronous for pipes, files and
   * terminals on Linux: nothing written is lost.
   */
  exitWhenDone?: boolean;
}

/**
 * Run a command's main: exit with the code it returns (nothing: 0); on
 * failure print one line `<name>: <message>` on stderr and exit with the
 * error's `exitCode` (2 for a UsageError), else 1. Stack traces only with
 * CELLO_DEBUG=1.
 */
export async function runMain(name: string, main: () => Promise<number | void>, opts: RunOptions = {}): Promise<void> {
  try {
    const code = await main();
    process.exitCode = code ?? EXIT_OK;
  } catch (err) {
    const e = err as Error & { exitCode?: number };
    process.stderr.write(`${name}: ${e?.message ?? String(err)}\n`);
    if (process.env.CELLO_DEBUG === '1' && e?.stack) process.stderr.write(`${e.stack}\n`);
    process.exitCode = e?.exitCode ?? EXIT_FAILURE;
  }
  if (opts.exitWhenDone) process.exit();
}
