/**
 * bin/cello-gc: the leak sweep. A thin shell: parse, load cello-config
 * (cello-eni's loader), run the sweep (once or watching), print the report.
 */
import { type CelloConfig, DEFAULT_CONFIG_PATH, DEFAULT_NODE_CONFIG_PATH, loadConfig } from '@cello/cello-eni';
import { DEFAULT_STATE_DIR } from '@cello/cello-ipam';
import { createLogger, emit, repeat, resolveFormat, stopOnSignals, UsageError } from '@cello/cli-kit';
import { onceOrWatch, runCommandLine } from '@cello/cli-kit/yargs';
import { findingColumns, footer } from './cli/tables.ts';
import { sweepCluster } from './cluster/sweep.ts';
import { sweepNode } from './node/sweep.ts';
import { exitCodeOf, type SweepReport } from './report.ts';
import { readValidAttachments } from './valid-attachments.ts';

const USAGE = `cello-gc finds what Cello leaked and removes it, safely: an allocation is released only when its
sandbox is proven gone, anything is removed only after --grace seconds, and --dry-run changes nothing.

  cello-gc node --dry-run            what this node's sweep would remove (allocations, host objects, cloud)
  cello-gc node --watch              the agent's loop (every --interval seconds, jittered)
  cello-gc cluster --once            ENIs of deleted or departed nodes (a CronJob, or one elected agent)

Each run prints what it found, what it did and what it could not do (JSON when piped); it exits 1
when something found could not be fixed.

Usage: cello-gc <command> [options]`;

const log = createLogger({ component: 'cello-gc' });

interface Common {
  config: string;
  nodeConfig: string;
  grace: number;
  now?: string;
  dryRun: boolean;
  once: boolean;
  watch: boolean;
  interval: number;
  kubeconfig?: string;
  kubernetes: boolean;
  output?: string;
}

function loadCloudConfig(a: Pick<Common, 'config' | 'nodeConfig'>): CelloConfig {
  const loaded = loadConfig({ config: a.config, nodeConfig: a.nodeConfig });
  for (const w of loaded.warnings) log.warn(w);
  return loaded.config;
}

const stopSignal = () => stopOnSignals({ log, message: 'stopping after the current sweep (send the signal again to exit at once)' });

/** Print a report: a table and summary on a terminal; one JSON document (one line each when watching) when piped. */
function print(r: SweepReport, a: Common): void {
  const format = resolveFormat(a.output);
  if (format === 'json' && a.watch) process.stdout.write(`${JSON.stringify(r)}\n`);
  else emit(r, format, { rows: r.findings, columns: findingColumns });
  if (format === 'table') process.stdout.write(footer(r));
}

/** One sweep and its exit code, or (--watch) a sweep every interval until the stop signal. */
async function sweeps(a: Common, sweep: (signal: AbortSignal) => Promise<SweepReport>): Promise<number> {
  const signal = stopSignal();
  if (!a.watch) {
    const r = await sweep(signal);
    print(r, a);
    return exitCodeOf(r);
  }
  await repeat({ watch: true, intervalSec: a.interval, signal }, async () => {
    // A sweep that cannot start (no store yet, another sweep running) is logged and tried again.
    try {
      print(await sweep(signal), a);
    } catch (err) {
      log.error('sweep could not run; trying again after the interval', { error: err });
    }
  });
  return 0;
}

export async function main(argv: string[]): Promise<void> {
  await runCommandLine('cello-gc', argv, USAGE, (cli) =>
    onceOrWatch(cli, {
      once: 'one sweep, then exit (the default; for cron)',
      watch: 'sweep every --interval seconds until SIGTERM (for the agent)',
      onceByDefault: true,
    })
      .option('config', { type: 'string', default: DEFAULT_CONFIG_PATH, description: "cello-config's conf (as cello-eni): credentials, OpenAPI, clusterName" })
      .option('node-config', { type: 'string', default: DEFAULT_NODE_CONFIG_PATH, description: 'node-scope overrides (as cello-eni; optional)' })
      .option('grace', {
        type: 'number',
        default: 300,
        description: 'seconds a leak must persist before it is removed (allocations: also their age; ENIs: UpdatedAt/CreatedAt)',
      })
      .option('now', {
        type: 'string',
        description: 'judge grace periods as of this time (RFC 3339, not in the past; with --dry-run: what a sweep then would remove)',
      })
      .option('dry-run', { type: 'boolean', default: false, description: 'report what would be removed; change nothing' })
      .option('interval', { type: 'number', default: 600, description: 'seconds between sweeps with --watch (±20% jitter)' })
      .option('kubeconfig', { type: 'string', description: 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)' })
      .option('kubernetes', { type: 'boolean', default: true, description: 'ask Kubernetes (--no-kubernetes: only netns, runtime and cloud evidence)' })
      .check((a) => {
        if (!(a.grace >= 0)) throw new UsageError(`--grace: expected seconds ≥ 0, got ${a.grace}`);
        if (a.now !== undefined && !(Date.parse(a.now) >= Date.now())) throw new UsageError(`--now: expected a time from now on (RFC 3339), got ${a.now}`);
        if (a.now !== undefined && a.watch) throw new UsageError('--now and --watch: a watch judges each sweep by the clock');
        if (!(a.interval > 0)) throw new UsageError(`--interval: expected seconds > 0, got ${a.interval}`);
        return true;
      })
      .command(
        'node',
        "sweep this node: allocations of dead sandboxes, host objects nothing accounts for, this instance's leaked ENIs and unknown IPs",
        (y) =>
          y
            .option('state-dir', { type: 'string', default: DEFAULT_STATE_DIR, description: "cello-ipam's directory (gc keeps gc-first-seen.json there)" })
            .option('node-name', { type: 'string', description: 'this node in Kubernetes (default: $NODE_NAME, else the hostname)' })
            .option('valid-attachments', { type: 'string', description: "the runtime's valid attachments (JSON, CNI GC's cni.dev/valid-attachments)" })
            .option('cloud', { type: 'boolean', default: true, description: 'check the cloud too (--no-cloud: local steps only, no config needed)' })
            .option('unknown-ips', {
              choices: ['adopt', 'unassign'] as const,
              default: 'adopt' as const,
              description: 'IPs the cloud assigned to our ENIs that cello-ipam does not know: adopt as free, or give back',
            }),
        async (a) => {
          const cloud = a.cloud ? loadCloudConfig(a) : undefined;
          const validAttachments = a.validAttachments ? readValidAttachments(a.validAttachments) : undefined;
          return sweeps(a, (signal) =>
            sweepNode({
              stateDir: a.stateDir,
              nodeName: a.nodeName,
              graceSec: a.grace,
              now: a.now === undefined ? undefined : new Date(a.now),
              dryRun: a.dryRun,
              kube: { off: !a.kubernetes, kubeconfig: a.kubeconfig },
              validAttachments,
              cloud,
              unknownIps: a.unknownIps,
              log,
              signal,
            }),
          );
        },
      )
      .command(
        'cluster',
        'sweep the cluster: ENIs tagged with clusterName whose instance is gone or is not a node (detach if needed, then delete)',
        (y) =>
          y
            .option('region', { type: 'string', description: 'with --vpc-id: do not ask the metadata service (running off an instance)' })
            .option('vpc-id', { type: 'string', description: 'with --region' })
            .option('concurrency', { type: 'number', default: 4, description: "fixes at once (cello-eni's rate limits pace the calls)" })
            .check((a) => {
              if (Boolean(a.region) !== Boolean(a.vpcId)) throw new UsageError('--region and --vpc-id go together');
              if (!(Number.isInteger(a.concurrency) && a.concurrency >= 1))
                throw new UsageError(`--concurrency: expected a whole number ≥ 1, got ${a.concurrency}`);
              return true;
            }),
        async (a) => {
          const config = loadCloudConfig(a);
          return sweeps(a, (signal) =>
            sweepCluster({
              config,
              graceSec: a.grace,
              now: a.now === undefined ? undefined : new Date(a.now),
              dryRun: a.dryRun,
              kube: { off: !a.kubernetes, kubeconfig: a.kubeconfig },
              identity: a.region && a.vpcId ? { region: a.region, vpcId: a.vpcId } : undefined,
              concurrency: a.concurrency,
              log,
              signal,
            }),
          );
        },
      ),
  );
}

void main(process.argv.slice(2));
