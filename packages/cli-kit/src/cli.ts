/** Exit codes shared by every cello command. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A mistake in how the command was called: exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

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

/**
 * Run a command's main: on failure print one line `<name>: <message>` on stderr
 * and set the exit code (2 usage, else 1). Stack traces only with CELLO_DEBUG=1.
 */
export async function runMain(name: string, main: () => Promise<number | void>): Promise<void> {
  try {
    const code = await main();
    process.exitCode = code ?? EXIT_OK;
  } catch (err) {
    const e = err as Error & { exitCode?: number };
    process.stderr.write(`${name}: ${e?.message ?? String(err)}\n`);
    if (process.env.CELLO_DEBUG === '1' && e?.stack) process.stderr.write(`${e.stack}\n`);
    process.exitCode = err instanceof UsageError ? EXIT_USAGE : (e?.exitCode ?? EXIT_FAILURE);
  }
}
