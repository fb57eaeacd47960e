import { runCommandLine } from '@cello/cli-kit/yargs';
import { SUPPORTED_VERSIONS } from '@cello/cni-types';
import type { ExecVerb } from './exec/chain.ts';
import { execCommand } from './exec/command.ts';

const USAGE = `cello-cni is a CNI plugin: container runtimes run it with CNI_COMMAND set and the
network config on stdin. Run with arguments, it offers commands for operators.

Usage: cello-cni <command> [options]`;

const EXEC_HELP = `Run a CNI verb over a network's conflist the way a runtime (libcni) would, and show
what each plugin got and returned. Like cnitool:
  - the conflist is found by network name in NETCONFPATH (default /etc/cni/net.d);
  - plugins are found in CNI_PATH (default /opt/cni/bin);
  - CNI_ARGS (K=V;K2=V2) and CAP_ARGS (JSON, e.g. {"bandwidth":{...}}) are read from the environment;
  - the container id is cnitool's (stable per netns path) unless --container-id is given;
  - results are cached where libcni caches them (--cache-dir), so del and check find what add made.
Unlike cnitool, gc keeps every attachment in the cache unless --valid lists the ones to keep.

Examples:
  ip netns add demo && cello-cni exec add cello /var/run/netns/demo
  cello-cni exec check cello /var/run/netns/demo
  CAP_ARGS='{"bandwidth":{"ingressRate":10000000,"ingressBurst":10000000}}' cello-cni exec add cello /var/run/netns/demo
  cello-cni exec del cello /var/run/netns/demo`;

/** The operator-facing side of cello-cni. */
export async function runCli(argv: string[]): Promise<void> {
  await runCommandLine('cello-cni', argv, USAGE, (cli) =>
    cli
      .command(
        'exec <verb> <network> [netns]',
        'run add|del|check|gc|status over a conflist, cnitool-style, showing every plugin call',
        (y) =>
          y
            .usage(EXEC_HELP)
            .positional('verb', { choices: ['add', 'del', 'check', 'gc', 'status'] as const, demandOption: true })
            .positional('network', { type: 'string', demandOption: true, description: 'the conflist\'s "name"' })
            .positional('netns', { type: 'string', default: '', description: 'network namespace path (add/del/check)' })
            .option('ifname', { alias: 'i', type: 'string', description: 'interface name (default $CNI_IFNAME or eth0)' })
            .option('container-id', { type: 'string', description: "container id (default: cnitool's, from the netns path)" })
            .option('cni-path', { type: 'string', description: 'plugin directories (default $CNI_PATH or /opt/cni/bin)' })
            .option('netconfpath', { type: 'string', description: 'conflist directory (default $NETCONFPATH or /etc/cni/net.d)' })
            .option('cache-dir', { type: 'string', default: '/var/lib/cni', description: 'libcni result cache directory' })
            .option('valid', { type: 'string', array: true, description: 'gc: CONTAINERID/IFNAME to keep (repeatable)' })
            .check((a) => {
              if (['add', 'del', 'check'].includes(a.verb) && !a.netns) throw new Error(`${a.verb} needs a netns path`);
              return true;
            }),
        (a) =>
          execCommand({
            verb: a.verb as ExecVerb,
            network: a.network,
            netns: a.netns,
            ifname: a.ifname,
            containerId: a['container-id'],
            cniPath: a['cni-path'],
            netconfpath: a.netconfpath,
            cacheDir: a['cache-dir'],
            valid: a.valid,
            output: a.output,
          }),
      )
      .command(
        'version',
        'print the CNI spec versions this plugin speaks',
        () => {},
        () => {
          process.stdout.write(`${JSON.stringify({ supportedVersions: SUPPORTED_VERSIONS })}\n`);
          return 0;
        },
      ),
  );
}
