import { runMain } from '@cello/cli-kit';
import { commandLine } from '@cello/cli-kit/yargs';
import { SUPPORTED_VERSIONS } from '@cello/cni-types';

const USAGE = `cello-cni is a CNI plugin: container runtimes run it with CNI_COMMAND set and the
network config on stdin. Run with arguments, it offers commands for operators.

Usage: cello-cni <command> [options]`;

/** The operator-facing side of cello-cni. */
export async function runCli(argv: string[]): Promise<void> {
  await runMain('cello-cni', async () => {
    await commandLine('cello-cni', argv, USAGE)
      .command(
        'version',
        'print the CNI spec versions this plugin speaks',
        () => {},
        () => {
          process.stdout.write(`${JSON.stringify({ supportedVersions: SUPPORTED_VERSIONS })}\n`);
        },
      )
      .parseAsync();
  });
}
