/**
 * bin/cello-ipam: the store's operations for operators and pipes. A thin
 * shell: parse, open the store, call the library, print.
 */
import { CommandError, createLogger, emit, keyValueColumns, type OutputFormat, readJsonInput, resolveFormat, UsageError } from '@cello/cli-kit';
import { type ExitCode, runCommandLine } from '@cello/cli-kit/yargs';
import * as tables from './cli/tables.ts';
import { DEFAULT_STATE_DIR } from './db.ts';
import { type IpamStore, withStore } from './store.ts';
import type { EniStats, Settings } from './types.ts';

const USAGE = `cello-ipam keeps this node's pod IP allocations in ${DEFAULT_STATE_DIR}/ipam.db (SQLite).
Every command reads and prints the JSON records of docs/architecture.md; a table on a terminal.

  cello-eni assign --eni eni-x --count 4 | cello-ipam import
  cello-ipam surplus --keep 8 | cello-eni unassign | cello-ipam forget
  cello-ipam alloc --container c1 --netns /var/run/netns/p1 | cello-link setup --datapath veth

Usage: cello-ipam <command> [options]`;

const log = createLogger({ component: 'cello-ipam' });

interface Common {
  stateDir: string;
  output?: string;
}

/** Open the store, run, close; what `fn` returns is the exit code. */
function withArgsStore(args: Common, fn: (store: IpamStore, format: OutputFormat) => ExitCode): ExitCode {
  return withStore({ stateDir: args.stateDir }, (store) => fn(store, resolveFormat(args.output)));
}

const triple = {
  container: { type: 'string', demandOption: true, description: 'CNI_CONTAINERID of the sandbox' },
  network: { type: 'string', default: 'cello', description: 'network name (the conflist "name")' },
  ifname: { type: 'string', default: 'eth0', description: 'CNI_IFNAME' },
} as const;

function parseSettings(pairs: string[]): Partial<Record<keyof Settings, unknown>> {
  return Object.fromEntries(
    pairs.map((p) => {
      const eq = p.indexOf('=');
      if (eq <= 0) throw new UsageError(`expected key=value, got "${p}" (e.g. ipCooldownSec=30)`);
      return [p.slice(0, eq), p.slice(eq + 1)];
    }),
  );
}

function statsTotalRow(s: ReturnType<IpamStore['stats']>): EniStats {
  return { id: 'TOTAL', mode: s.settings.networkMode, routeTable: 0, releasing: false, ...s.totals };
}

export async function main(argv: string[]): Promise<void> {
  await runCommandLine('cello-ipam', argv, USAGE, (cli) =>
    cli
      .option('state-dir', { type: 'string', default: DEFAULT_STATE_DIR, description: 'directory of ipam.db' })
      .command(
        'import [file]',
        'add the ENIs and IPs of an Import document (file or stdin); prints the ENIs with their route tables',
        (y) => y.positional('file', { type: 'string', description: 'Import JSON ("-" or absent: stdin)' }),
        async (a) => {
          const doc = await readJsonInput(a.file, 'import document');
          return withArgsStore(a, (store, format) => {
            const result = store.import(doc);
            emit(result, format, { rows: result.enis, columns: tables.eniColumns });
          });
        },
      )
      .command(
        'surplus',
        'mark free IPs beyond --keep as releasing and print them (Surplus JSON) for cello-eni unassign',
        (y) =>
          y
            .option('keep', { type: 'number', demandOption: true, description: 'free IPs (pairs; ENIs in exclusive mode) to keep' })
            .option('whole-enis', { type: 'boolean', default: true, description: 'release ENIs with nothing in use as a whole (--no-whole-enis: only IPs)' })
            .option('dry-run', { type: 'boolean', default: false, description: 'print what would be released; change nothing' }),
        (a) =>
          withArgsStore(a, (store, format) => {
            const doc = store.surplus({ keep: a.keep, wholeEnis: a.wholeEnis, dryRun: a.dryRun });
            emit(doc, format, { rows: doc.enis, columns: tables.surplusColumns });
          }),
      )
      .command(
        'forget [file]',
        'drop IPs or whole ENIs the cloud no longer has (Surplus-shaped JSON from file or stdin)',
        (y) => y.positional('file', { type: 'string', description: 'Surplus-shaped JSON ("-" or absent: stdin)' }),
        async (a) => {
          const doc = await readJsonInput(a.file, 'forget document');
          return withArgsStore(a, (store, format) => {
            const result = store.forget(doc);
            for (const f of result.flagged) {
              log.warn('forgot an IP a pod still holds', {
                ip: f.ip,
                eniId: f.eniId,
                containerId: f.allocation.containerId,
                pod: `${f.allocation.podNamespace}/${f.allocation.podName}`,
              });
            }
            emit(result, format, { rows: result.enis, columns: tables.surplusColumns });
          });
        },
      )
      .command(
        'stats',
        'free/used/cooling/releasing per ENI, what can be allocated now, and outstanding demand',
        () => {},
        (a) =>
          withArgsStore(a, (store, format) => {
            const s = store.stats();
            emit(s, format, { rows: [...s.enis, statsTotalRow(s)], columns: tables.statsColumns });
            if (format === 'table') {
              process.stdout.write(`demand: ${s.demand.count}${s.demand.oldestAt ? ` (oldest ${s.demand.oldestAt})` : ''}\n`);
              for (const [name, n] of Object.entries(s.podNetworks)) {
                process.stdout.write(`pod network ${name}: ${n.enis} ENI(s), ${n.available} available, ${n.demand} waiting\n`);
              }
            }
          }),
      )
      .command(
        'list [what]',
        'list ips (default), enis or allocations',
        (y) => y.positional('what', { choices: ['ips', 'enis', 'allocations'] as const, default: 'ips' as const }),
        (a) =>
          withArgsStore(a, (store, format) => {
            if (a.what === 'enis') {
              const rows = store.enis();
              emit(rows, format, { rows, columns: tables.eniColumns });
            } else if (a.what === 'allocations') {
              const rows = store.allocations();
              emit(rows, format, { rows, columns: tables.allocationColumns });
            } else {
              const rows = store.ips();
              emit(rows, format, { rows, columns: tables.ipColumns });
            }
          }),
      )
      .command(
        'show <query>',
        'one IP (state, holder) or the allocations of a container id (or id prefix)',
        (y) => y.positional('query', { type: 'string', demandOption: true, description: 'an IP address or a container id' }),
        (a) =>
          withArgsStore(a, (store, format) => {
            const r = store.show(a.query);
            if (!r.ip && !r.allocations.length) throw new CommandError(`no IP or container matches "${a.query}"`);
            if (r.ip) emit(r, format, { rows: [r.ip], columns: tables.ipColumns });
            else emit(r, format, { rows: r.allocations, columns: tables.allocationColumns });
          }),
      )
      .command(
        'check',
        'integrity findings (no IP held twice, no holder on an unknown ENI, …); exits 1 when there are any',
        () => {},
        (a) =>
          withArgsStore(a, (store, format) => {
            const findings = store.check();
            emit({ ok: findings.length === 0, findings }, format, { rows: findings, columns: tables.findingColumns });
            return findings.length ? 1 : 0;
          }),
      )
      .command(
        'alloc',
        'allocate for a CNI triple (repeat: same answer); prints the Allocation JSON cello-link setup reads',
        (y) =>
          y
            .options(triple)
            .option('pod-namespace', { type: 'string', default: '', description: 'K8S_POD_NAMESPACE' })
            .option('pod-name', { type: 'string', default: '', description: 'K8S_POD_NAME (a recreated pod of this name gets its IP back)' })
            .option('netns', { type: 'string', default: '', description: 'CNI_NETNS' })
            .option('pod-network', { type: 'string', default: '', description: "the pod's PodNetwork: only its ENIs are candidates ('' the default network)" })
            .option('record-demand', { type: 'boolean', default: false, description: 'when nothing is free, record a demand for the pool keeper' }),
        (a) =>
          withArgsStore(a, (store, format) => {
            const allocation = store.allocate(
              {
                network: a.network,
                containerId: a.container,
                ifname: a.ifname,
                podNamespace: a.podNamespace,
                podName: a.podName,
                netns: a.netns,
                podNetwork: a.podNetwork,
              },
              { recordDemand: a.recordDemand },
            );
            emit(allocation, format, { rows: [allocation], columns: tables.allocationColumns });
          }),
      )
      .command(
        'release',
        'release a CNI triple (its IPs cool down before reuse); an unknown triple is fine',
        (y) => y.options(triple),
        (a) =>
          withArgsStore(a, (store, format) => {
            const r = store.release({ network: a.network, containerId: a.container, ifname: a.ifname });
            emit(r, format, { rows: r.allocation ? [r.allocation] : [], columns: tables.allocationColumns });
          }),
      )
      .command(
        'settings [set..]',
        'show the node settings, or set some: networkMode=shared|exclusive ipFamily=ipv4|ipv6|dual ipCooldownSec=N datapath=auto|ipvlan|veth',
        (y) => y.positional('set', { type: 'string', array: true, default: [] as string[], description: 'key=value pairs' }),
        (a) =>
          withArgsStore(a, (store, format) => {
            const changes = parseSettings(a.set);
            const s = Object.keys(changes).length ? store.setSettings(changes) : store.settings();
            emit(s, format, { rows: Object.entries(s), columns: keyValueColumns });
          }),
      )
      .command(
        'pod-networks [what]',
        "the PodNetworks this node knows and cello-agent's decision for each of its pods (docs/podnetworks.md)",
        (y) => y.positional('what', { choices: ['decisions', 'networks'] as const, default: 'decisions' as const }),
        (a) =>
          withArgsStore(a, (store, format) => {
            if (a.what === 'networks') {
              const rows = store.podNetworks();
              emit(rows, format, { rows, columns: tables.podNetworkColumns });
            } else {
              const rows = store.podNetworkDecisions();
              emit(rows, format, { rows, columns: tables.decisionColumns });
            }
          }),
      )
      .command(
        'fixed',
        'fixed addresses (Fixed PodNetworks): each pod whose address this node holds or is taking over, and its state (docs/podnetworks.md)',
        (y) => y,
        (a) =>
          withArgsStore(a, (store, format) => {
            const rows = store.fixedIps();
            emit(rows, format, { rows, columns: tables.fixedIpColumns });
          }),
      )
      .command(
        'demands',
        'ADDs that found no free IP, oldest first (the pool keeper serves them)',
        (y) =>
          y
            .option('clear', { type: 'boolean', default: false, description: 'remove them (all, or with --older-than)' })
            .option('older-than', { type: 'number', description: 'with --clear: only those older than this many seconds' }),
        (a) =>
          withArgsStore(a, (store, format) => {
            if (a.clear) {
              const before = a.olderThan === undefined ? undefined : new Date(Date.now() - a.olderThan * 1000);
              const cleared = store.clearDemands({ before });
              emit({ cleared }, format, { rows: [['cleared', cleared]], columns: keyValueColumns });
            } else {
              const rows = store.demands();
              emit(rows, format, { rows, columns: tables.demandColumns });
            }
          }),
      ),
  );
}

void main(process.argv.slice(2));
