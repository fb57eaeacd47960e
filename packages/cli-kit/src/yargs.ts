/**
 * The yargs side of every cello command: strict parsing, `--help`,
 * `--output json|table`, usage mistakes raised as UsageError (exit 2), and
 * handlers that return their exit code. Kept out of the package index so the
 * CNI hot path never loads yargs.
 */
import yargs, { type ArgumentsCamelCase, type Argv, type BuilderCallback } from 'yargs';
import { type RunOptions, runMain, UsageError } from './cli.ts';

/** What a command handler returns: its exit code (nothing: 0). A failure is thrown instead (see runMain). */
export type ExitCode = number | undefined | void;

declare module 'yargs' {
  interface Argv<T> {
    /** A command whose handler returns its exit code (commands built by runCommandLine). */
    command<U = T>(
      command: string | readonly string[],
      description: string | false,
      builder: BuilderCallback<T, U>,
      handler: (args: ArgumentsCamelCase<U>) => ExitCode | Promise<ExitCode>,
    ): Argv<T>;
  }
}

/** The options every command has. */
export interface GlobalArgs {
  output: string | undefined;
}

/**
 * The yargs instance of a command line. A handler's return value (a number)
 * is handed to `onExitCode`; the builders of nested commands get this same
 * instance, so theirs are too.
 */
function commandLine(name: string, argv: string[], usage: string, onExitCode: (code: number) => void = () => {}): Argv<GlobalArgs> {
  const cli = yargs(argv)
    .scriptName(name)
    .usage(usage)
    .option('output', {
      alias: 'o',
      type: 'string',
      choices: ['json', 'table'],
      description: 'output format (default: table on a terminal, JSON when piped)',
    })
    .strict()
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version(false)
    // The terminal's width (examples in usage texts keep their lines), 120 when piped.
    .wrap(process.stdout.columns ? Math.max(process.stdout.columns, 80) : 120)
    // yargs reports its own validation (unknown flags, .check()) with a message;
    // errors thrown by a command's handler arrive with none and pass through.
    .fail((msg, err) => {
      if (msg) throw new UsageError(msg);
      throw err;
    });
  const command = cli.command.bind(cli) as (...args: unknown[]) => Argv<GlobalArgs>;
  cli.command = ((...args: unknown[]) => {
    const handler = args[3];
    if (typeof handler === 'function') {
      args[3] = async (a: unknown) => {
        const code = await handler(a);
        if (typeof code === 'number') onExitCode(code);
      };
    }
    return command(...args);
  }) as typeof cli.command;
  return cli;
}

/**
 * Run a command line: `commands` adds the flags and commands to the shared
 * setup; the chosen command's handler returns its exit code and throws for a
 * failure (one line on stderr, exit 1; 2 for a UsageError).
 */
export async function runCommandLine(
  name: string,
  argv: string[],
  usage: string,
  commands: (cli: Argv<GlobalArgs>) => Argv<unknown>,
  opts: RunOptions = {},
): Promise<void> {
  await runMain(
    name,
    async () => {
      let exitCode: number | undefined;
      await commands(
        commandLine(name, argv, usage, (code) => {
          exitCode = code;
        }),
      ).parseAsync();
      return exitCode;
    },
    opts,
  );
}

/**
 * `--once` and `--watch`, described for the command, and the rule between
 * them: never both; one of them unless `--once` is the default.
 */
export function onceOrWatch<T>(y: Argv<T>, describe: { once: string; watch: string; onceByDefault?: boolean }) {
  return y
    .option('once', { type: 'boolean', default: false, description: describe.once })
    .option('watch', { type: 'boolean', default: false, description: describe.watch })
    .check((a) => {
      if (a.once && a.watch) throw new UsageError('--once and --watch: choose one');
      if (!a.once && !a.watch && !describe.onceByDefault) throw new UsageError('give exactly one of --once or --watch');
      return true;
    });
}
