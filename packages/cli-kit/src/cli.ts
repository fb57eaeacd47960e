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

/**
 * An AbortSignal that SIGINT or SIGTERM aborts, so a long-running command
 * (a keeper, a watch loop) can stop cleanly. A second signal exits at once
 * with 128+n, unless `secondSignal: 'ignore'` (a supervised child that must
 * finish its shutdown whatever its process group receives).
 */
export function stopOnSignals(
  opts: { log?: { info(msg: string, f?: Record<string, unknown>): void }; message?: string; secondSignal?: 'exit' | 'ignore' } = {},
): AbortSignal {
  const ac = new AbortController();
  for (const [sig, n] of [
    ['SIGINT', 2],
    ['SIGTERM', 15],
  ] as const) {
    process.on(sig, () => {
      if (ac.signal.aborted) {
        if (opts.secondSignal !== 'ignore') process.exit(128 + n);
        return;
      }
      opts.log?.info(opts.message ?? 'stopping (send the signal again to exit at once)', { signal: sig });
      ac.abort();
    });
  }
  return ac.signal;
}
