/**
 * cello-cni: a runtime calls it with CNI_COMMAND set and no arguments (the CNI
 * protocol); an operator calls it with arguments (`cello-cni exec …`, `--help`).
 * The human CLI and yargs run only in the second case; their code is in the
 * bundle but never executed on the hot path (docs/cello-cni.md, Start-up).
 */
import { pluginMain } from '@cello/cni-types';
import { handlers } from './plugin.ts';

const ABOUT = 'cello-cni: the Cello CNI plugin for the Volcengine VPC (run `cello-cni --help` for the operator commands)';

if (process.argv.length > 2) {
  void import('./cli.ts').then(({ runCli }) => runCli(process.argv.slice(2)));
} else {
  void pluginMain(handlers, ABOUT).then((code) => {
    process.exitCode = code;
  });
}
