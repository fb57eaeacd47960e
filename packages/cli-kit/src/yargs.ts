import yargs, { type Argv } from 'yargs';
import { UsageError } from './cli.ts';

/**
 * The yargs setup every cello command shares: strict parsing, `--help`,
 * `--output json|table`, and usage mistakes raised as UsageError (exit 2).
 * Kept out of the package index so the CNI hot path never loads yargs.
 */
export function commandLine(name: string, argv: string[], usage: string): Argv<{ output: string | undefined }> {
  return (
    yargs(argv)
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
      })
  );
}
