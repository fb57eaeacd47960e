/** bin/cello-link: a thin yargs shell over the library (src/index.ts). */
import { createLogger, emit, keyValueColumns, readJsonInput } from '@cello/cli-kit';
import { runCommandLine } from '@cello/cli-kit/yargs';
import { addressList, bandwidthFromFlags, type BandwidthFlags, enisFromInput, mtuFlag } from './cli/input.ts';
import { commandRows, eniUpColumns, driftColumns, resultRows, showColumns, showRows } from './cli/tables.ts';
import { check } from './check.ts';
import { eniUp, planEniUp, renderEniUp } from './eni-up.ts';
import { processesSpawned } from './run.ts';
import { dryRun, planSetup, setup } from './setup.ts';
import { show } from './show.ts';
import { planTeardown, runTeardown, teardown } from './teardown.ts';
import type { DatapathChoice, LinkResult } from './types.ts';
import { parseAllocation, parseTarget } from './validate.ts';

const USAGE = `cello-link programs the pod datapaths with iproute2: the host ENI, the pod's
interface, addresses, routes, rules, neighbours, sysctls and tc.
Every command reads the JSON that cello-ipam prints (a file argument or stdin).

  cello-ipam alloc --container c1 --netns /var/run/netns/p1 | cello-link setup
  cello-link teardown alloc.json        # repeatable; fine when the netns is gone
  cello-link check alloc.json           # exit 1 and a list of what is wrong
  cello-link show                       # what cello made on this host

Usage: cello-link <command> [file] [options]`;

const log = createLogger({ component: 'cello-link' });

const datapathOption = {
  type: 'string',
  choices: ['auto', 'ipvlan', 'veth'],
  default: 'auto',
  description: 'shared-mode datapath (exclusive allocations always move the ENI)',
} as const;
const hostPathOptions = {
  'host-ip': { type: 'string', description: "node address pods reach via the host path (ipvlan, exclusive; repeatable); default: the default-route device's" },
  'redirect-to-host-cidr': { type: 'string', description: 'extra CIDR sent to the host path (ipvlan, exclusive; repeatable)' },
} as const;
const bandwidthOptions = {
  'ingress-rate': { type: 'string', description: 'shape traffic into the pod, bit/s (10M = 10 Mbit/s)' },
  'ingress-burst': { type: 'string', description: 'ingress burst, bits' },
  'egress-rate': { type: 'string', description: 'shape traffic out of the pod, bit/s' },
  'egress-burst': { type: 'string', description: 'egress burst, bits' },
} as const;

type HostPathArgs = { 'host-ip'?: string | string[]; 'redirect-to-host-cidr'?: string | string[] };
const hostPath = (a: HostPathArgs) => ({
  hostIps: addressList('host-ip', a['host-ip'], false),
  redirectToHostCidrs: addressList('redirect-to-host-cidr', a['redirect-to-host-cidr'], true),
});

export async function main(argv: string[]): Promise<void> {
  await runCommandLine('cello-link', argv, USAGE, (cli) =>
    cli
      .command(
        'eni-up [file]',
        'make a host ENI ready: up with its MTU, rp_filter off, forwarding, its route table (veth) or host fast path (ipvlan)',
        (y) =>
          y
            .positional('file', { type: 'string', description: 'EniRecord, allocation or {"enis":[…]} (default stdin)' })
            .option('datapath', datapathOption)
            .options(hostPathOptions)
            .option('dry-run', { type: 'boolean', description: 'print the commands, change nothing' }),
        async (a) => {
          const opts = { datapath: a.datapath as DatapathChoice, log, ...hostPath(a) };
          const enis = enisFromInput(await readJsonInput(a.file, 'ENI record'));
          if (a['dry-run']) {
            const plans = await Promise.all(enis.map((e) => planEniUp(e, opts)));
            const out = plans.map((p) => ({ ...p.result, commands: renderEniUp(p) }));
            return emit(out, a.output, { rows: plans.flatMap((p) => commandRows([[p.result.device, renderEniUp(p)]])), columns: keyValueColumns });
          }
          const results = [];
          for (const eni of enis) results.push(await eniUp(eni, opts));
          emit(results, a.output, { rows: results, columns: eniUpColumns });
        },
      )
      .command(
        'setup [file]',
        "program a pod's datapath from an allocation; prints the LinkResult",
        (y) =>
          y
            .positional('file', { type: 'string', description: 'allocation JSON (default stdin)' })
            .option('datapath', datapathOption)
            .option('mtu', { type: 'number', description: "pod interface MTU (default the ENI's)" })
            .options(bandwidthOptions)
            .options(hostPathOptions)
            .option('dry-run', { type: 'boolean', description: 'print the ip/tc batches, change nothing' }),
        async (a) => {
          const alloc = parseAllocation(await readJsonInput(a.file, 'allocation'));
          const opts = { datapath: a.datapath as DatapathChoice, mtu: mtuFlag(a.mtu), bandwidth: bandwidthFromFlags(a as BandwidthFlags), log, ...hostPath(a) };
          if (a['dry-run']) {
            const d = dryRun(await planSetup(alloc, opts));
            const rows = commandRows([
              ['host', d.commands.host],
              ['pod', d.commands.pod],
            ]);
            return emit(d, a.output, { rows, columns: keyValueColumns });
          }
          // A setup that fails is undone here (setup itself only retries once): the command leaves nothing behind.
          const result = await setup(alloc, opts).catch(async (err: unknown) => {
            await teardown(alloc, opts).catch((e: unknown) => log.warn('undo teardown failed', { error: e }));
            throw err;
          });
          log.debug('setup done', { containerId: alloc.containerId, ifname: alloc.ifname, datapath: result.datapath, processes: processesSpawned() });
          emit(result, a.output, { rows: resultRows(result), columns: keyValueColumns });
        },
      )
      .command(
        'teardown [file]',
        'remove what setup made; succeeds when it is already gone (missing links, deleted netns, repeated)',
        (y) =>
          y
            .positional('file', { type: 'string', description: 'allocation JSON, or {containerId, ifname, netns} (default stdin)' })
            .option('datapath', datapathOption)
            .option('dry-run', { type: 'boolean', description: 'print the commands, change nothing' }),
        async (a) => {
          const target = parseTarget(await readJsonInput(a.file, 'allocation'));
          const opts = { datapath: a.datapath as DatapathChoice, log };
          const plan = await planTeardown(target, opts);
          if (!a['dry-run']) await runTeardown(plan, opts);
          log.debug('teardown done', { containerId: target.containerId, processes: processesSpawned() });
          const out = {
            containerId: target.containerId,
            ifname: target.ifname,
            datapath: plan.datapath,
            dryRun: Boolean(a['dry-run']),
            notes: plan.notes,
            ...(a['dry-run'] ? { commands: plan } : {}),
          };
          const rows = a['dry-run']
            ? commandRows([
                ['pod', plan.pod],
                ['host', plan.host],
              ])
            : [['removed', `${target.containerId}/${target.ifname} (${plan.datapath})`] as const, ...plan.notes.map((n) => ['note', n] as const)];
          emit(out, a.output, { rows, columns: keyValueColumns });
        },
      )
      .command(
        'check [file]',
        'verify every object setup made for an allocation; exit 1 and name each one that is wrong',
        (y) =>
          y
            .positional('file', { type: 'string', description: 'allocation JSON (default stdin)' })
            .option('datapath', datapathOption)
            .option('mtu', { type: 'number' })
            .options(bandwidthOptions)
            .options(hostPathOptions)
            .option('expected', { type: 'string', description: 'the LinkResult setup printed, to compare names and MACs' }),
        async (a) => {
          const alloc = parseAllocation(await readJsonInput(a.file, 'allocation'));
          const expected = a.expected ? await readJsonInput<LinkResult>(a.expected, 'expected LinkResult') : undefined;
          const findings = await check(alloc, expected, {
            datapath: a.datapath as DatapathChoice,
            mtu: mtuFlag(a.mtu),
            bandwidth: bandwidthFromFlags(a as BandwidthFlags),
            ...hostPath(a),
          });
          emit({ ok: !findings.length, findings }, a.output, { rows: findings, columns: driftColumns });
          return findings.length ? 1 : 0;
        },
      )
      .command(
        'show',
        'list what cello made on this host: cel*/cbw*/ipvl_* links, cello routes and rules (proto 207), their qdiscs',
        () => {},
        async (a) => {
          const s = await show();
          emit(s, a.output, { rows: showRows(s), columns: showColumns });
        },
      ),
  );
}

void main(process.argv.slice(2));
