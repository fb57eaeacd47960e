/**
 * cello-cni: a runtime calls it with CNI_COMMAND set and no arguments (the CNI
 * protocol); an operator calls it with arguments (`cello-cni exec …`, `--help`).
 * The human CLI and yargs run only in the second case; their code is in the
 * bundle but never executed on the hot path (docs/cello-cni.md, Start-up).
 * The verb handlers (cello-ipam, cello-link, SQLite) load on first use, so
 * VERSION and a malformed call never initialise them.
 */
import { type Call, type PluginHandlers, pluginMain } from '@cello/cni-types';

const load = () => import('./plugin.ts').then((m) => m.handlers);
const handlers: PluginHandlers = {
  add: async (call: Call) => (await load()).add(call),
  del: async (call: Call) => (await load()).del(call),
  check: async (call: Call) => (await load()).check(call),
  gc: async (call: Call) => (await load()).gc(call),
  status: async (call: Call) => (await load()).status(call),
};

const ABOUT = 'cello-cni: the Cello CNI plugin for the Volcengine VPC (run `cello-cni --help` for the operator commands)';

if (process.argv.length > 2) {
  void import('./cli.ts').then(({ runCli }) => runCli(process.argv.slice(2)));
} else {
  void pluginMain(handlers, ABOUT).then((code) => {
    process.exitCode = code;
  });
}
