/**
 * cello-cni, the CNI plugin, read top-down from here.
 *
 * A runtime runs it with CNI_COMMAND set and the network config on stdin.
 * pluginMain (@cello/cni-types, the spec's skel) reads and checks the CNI_*
 * variables and the config (codes 1, 4, 6, 7), checks the verb is allowed in
 * the config's version, runs the verb's handler from the table below, and
 * prints its result, or the error, in the config's version.
 *
 * Each verb is one file that reads the same way: validateConfig (netconf.ts:
 * cello-cni's keys, codes 2 and 7) → withNodeStore (node-store.ts: the pod's
 * netns, its lock, the IPAM store, the call's one log line, library errors as
 * CNI codes) → the work → the result. Undo belongs to add.ts alone.
 *
 * An operator runs it with arguments (`cello-cni exec …`, `--help`): the
 * human CLI and yargs load only then. A verb's module (cello-ipam,
 * cello-link, SQLite) loads on its first call, so VERSION and a malformed
 * call never load them (docs/cello-cni.md, Start-up).
 */
import { type PluginHandlers, pluginMain, versionResult } from '@cello/cni-types';
import { mark } from './trace.ts';

mark('entry evaluated');

const loaded = async <M>(m: Promise<M>): Promise<M> => {
  const mod = await m;
  mark('verb module loaded');
  return mod;
};

export const verbs: PluginHandlers = {
  ADD: async (call) => (await loaded(import('./add.ts'))).cmdAdd(call),
  DEL: async (call) => (await loaded(import('./del.ts'))).cmdDel(call),
  CHECK: async (call) => (await import('./check.ts')).cmdCheck(call),
  GC: async (call) => (await import('./gc.ts')).cmdGc(call),
  STATUS: async (call) => (await import('./status.ts')).cmdStatus(call),
  VERSION: versionResult,
};

const ABOUT = 'cello-cni: the Cello CNI plugin for the Volcengine VPC (run `cello-cni --help` for the operator commands)';

// Bun sets import.meta.main when this file is the program; a test that imports `verbs` runs nothing.
if ((import.meta as { main?: boolean }).main) {
  if (process.argv.length > 2) {
    void import('./cli.ts').then(({ runCli }) => runCli(process.argv.slice(2)));
  } else {
    void pluginMain(verbs, ABOUT).then((code) => {
      mark('answer written');
      // Everything a call does is done by now: the answer and the log line were written with
      // writeSync, the store and the lock are closed, every child a verb used has exited. Leaving
      // at once skips Bun's own exit (≈ 3 ms per call; docs/cello-cni.md, Start-up); a prestarted
      // `ip` no verb took ends with this process (its setpriv's parent-death signal).
      process.exit(code);
    });
  }
}
