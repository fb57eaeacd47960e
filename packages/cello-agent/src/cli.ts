/**
 * bin/cello-agent: the DaemonSet's supervisor and each role it runs (all in
 * its own process; each subcommand runs one role alone, to debug it). A
 * thin shell: parse, build the options, call the library. Each command
 * imports what it needs when it runs (the Kubernetes client, gRPC, zx and
 * prom-client are not loaded by every command), which saves start-up time.
 */
import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CommandError, createLogger, emit, keyValueColumns, resolveFormat, stopOnSignals, UsageError, untilStopped } from '@cello/cli-kit';
import { onceOrWatch, runCommandLine } from '@cello/cli-kit/yargs';
import { parseListen } from './cli/input.ts';
import { installColumns, podNetworkColumns, podNetworkRows, statusText } from './cli/tables.ts';
import { nodeName } from './node-name.ts';
import { type AgentPaths, DEFAULT_PATHS, runFiles } from './paths.ts';

const USAGE = `cello-agent runs Cello on a node (the DaemonSet's main process), and each of the roles it supervises alone.

  cello-agent run                  install cello-cni, run the roles below in this process, mark the node ready once the pool holds IPs and the PodNetworks are recorded
  cello-agent status               what the supervisor and the keeper last reported
  cello-agent config               the config in effect, secrets shown as ***

Roles (run by \`run\`, all in its one process; each can be run alone to debug it):
  config-sync   ConfigMap kube-system/cello-config (+ the node label's override) → ${DEFAULT_PATHS.configFile}, ${DEFAULT_PATHS.nodeConfigFile}
  keeper        the pool keeper (cello-eni's), with metrics, events and its state for readiness
  capacity      the kubelet device plugin: vke.volcengine.com/eni-ip (shared) or vke.volcengine.com/eni (exclusive)
  metrics       :11414/metrics (Prometheus), /healthz (ready), /livez
  pod-networks  PodNetworks, namespaces and this node's pods → which network each pod is on, in ${DEFAULT_PATHS.stateDir}'s cello-ipam store (docs/podnetworks.md)
  gc            a cello-gc node sweep (its own short-lived process) every --gc-interval once the node is ready (0: none, as with the gc sidecar)

Usage: cello-agent <command> [options]`;

const COMMANDS = ['run', 'config-sync', 'keeper', 'capacity', 'metrics', 'pod-networks', 'install', 'status', 'config'];

/** Every line names the role it comes from: `proc` is the subcommand or role (run, keeper, capacity, …). */
let log = createLogger({ component: 'cello-agent' });

/** Where this bundle lives: its siblings (cello-cni, cello-gc) are installed or run from there. */
const ownDir = () => dirname(realpathSync(process.argv[1] ?? '.'));

interface PathFlags {
  runDir: string;
  config: string;
  nodeConfig: string;
  stateDir: string;
  cniLog: string;
  devicePluginDir: string;
  cniBinDir: string;
  cniConfDir: string;
  runtimeDir: string;
  nodeName?: string;
  output?: string;
}

const pathsOf = (a: PathFlags): AgentPaths => ({
  runDir: a.runDir,
  configFile: a.config,
  nodeConfigFile: a.nodeConfig,
  stateDir: a.stateDir,
  cniLog: a.cniLog,
  devicePluginDir: a.devicePluginDir,
  cniBinDir: a.cniBinDir,
  cniConfDir: a.cniConfDir,
  runtimeDir: a.runtimeDir,
});

/** An AbortSignal that fires on SIGTERM or SIGINT. */
function stopSignal(): AbortSignal {
  // A second signal (a process group's, then a runtime's) must not kill us mid-shutdown.
  return stopOnSignals({ log, message: 'stopping', secondSignal: 'ignore' });
}

export async function main(argv: string[]): Promise<void> {
  log = log.child({ proc: argv.find((x) => COMMANDS.includes(x)) ?? 'cello-agent' });
  await runCommandLine(
    'cello-agent',
    argv,
    USAGE,
    (cli) =>
      cli
        .option('run-dir', { type: 'string', default: DEFAULT_PATHS.runDir, description: 'readiness file, agent and keeper state, metrics sockets' })
        .option('config', { type: 'string', default: DEFAULT_PATHS.configFile, description: 'the cluster config file the keeper reads' })
        .option('node-config', { type: 'string', default: DEFAULT_PATHS.nodeConfigFile, description: 'the node-scope override file' })
        .option('state-dir', { type: 'string', default: DEFAULT_PATHS.stateDir, description: "cello-ipam's state directory" })
        .option('cni-log', { type: 'string', default: DEFAULT_PATHS.cniLog, description: "cello-cni's JSON-lines log (for the CNI metrics)" })
        .option('device-plugin-dir', { type: 'string', default: DEFAULT_PATHS.devicePluginDir, description: "the kubelet's device-plugin directory" })
        .option('cni-bin-dir', { type: 'string', default: DEFAULT_PATHS.cniBinDir, description: 'where the cello-cni executable is installed' })
        .option('cni-conf-dir', { type: 'string', default: DEFAULT_PATHS.cniConfDir, description: 'where the conflist is installed' })
        .option('runtime-dir', {
          type: 'string',
          default: DEFAULT_PATHS.runtimeDir,
          description: 'where an older Cello installed Node for the host (only cleaned up now)',
        })
        .option('node-name', { type: 'string', description: 'this Kubernetes node (default: $NODE_NAME, else the hostname)' })
        .command(
          'run',
          'the supervisor: install cello-cni, run and restart the roles (in this process), mark the node ready once the pool holds IPs and the PodNetworks are recorded; SIGTERM stops all',
          (y) =>
            y
              .option('conflist', {
                type: 'string',
                description: 'the conflist to install once ready (default: manifests/cni/10-cello.conflist beside this bundle)',
              })
              .option('listen', { type: 'string', description: "address of the metrics and health server (default: the config's metricsListen, else :11414)" })
              .option('gc-interval', { type: 'number', default: 300, description: 'seconds between cello-gc sweeps of this node (0: no gc sweeps)' })
              .option('capacity-recount', { type: 'number', default: 300, description: 'seconds between recounts of the pods the device plugin subtracts' })
              .option('grace', { type: 'number', default: 10, description: 'seconds each role (and a gc sweep in flight) gets to stop after SIGTERM' })
              .check((a) => {
                if (a.listen !== undefined) parseListen(String(a.listen));
                if (!(Number(a.gcInterval) >= 0)) throw new UsageError('--gc-interval must be ≥ 0 seconds');
                if (!(Number(a.grace) > 0)) throw new UsageError('--grace must be > 0 seconds');
                if (!(Number(a.capacityRecount) > 0)) throw new UsageError('--capacity-recount must be > 0 seconds');
                return true;
              }),
          async (a) => {
            const { runSupervisor } = await import('./supervisor/run.ts');
            const binDir = ownDir();
            return await runSupervisor({
              paths: pathsOf(a),
              conflist: a.conflist ?? join(binDir, '..', 'manifests', 'cni', '10-cello.conflist'),
              binDir,
              node: process.execPath,
              nodeName: nodeName(a.nodeName),
              ...(a.listen !== undefined ? { listen: parseListen(a.listen) } : {}),
              gcIntervalSec: a.gcInterval,
              capacityRecountSec: a.capacityRecount,
              graceMs: a.grace * 1000,
              log,
              signal: stopSignal(),
            });
          },
        )
        .command(
          'config-sync',
          'write the config files from ConfigMap kube-system/cello-config and the node label’s override; once, or following changes',
          (y) =>
            onceOrWatch(y, {
              once: 'write the files and exit (1 with the reason if the config is missing or invalid)',
              watch: 'keep the files current until SIGTERM',
            }),
          async (a) => {
            const [{ kubeClient }, { ConfigSync }, { NodeEventRecorder }] = await Promise.all([
              import('./kube/client.ts'),
              import('./config/sync.ts'),
              import('./kube/events.ts'),
            ]);
            const kube = kubeClient();
            const node = nodeName(a.nodeName);
            const sync = new ConfigSync({
              kube,
              node,
              configFile: a.config,
              nodeConfigFile: a.nodeConfig,
              log,
              events: new NodeEventRecorder({ core: kube.core, node, log }),
            });
            if (a.once) {
              const r = await sync.syncOnce().catch((err: Error) => {
                throw new CommandError(err.message);
              });
              for (const w of r.fetched.warnings) log.warn(w);
              emit({ changed: r.changed, cluster: r.fetched.cluster.ref, node: r.fetched.node?.ref ?? null }, a.output);
            } else {
              await sync.watch(stopSignal());
            }
          },
        )
        .command(
          'keeper',
          "the pool keeper (cello-eni's) with the agent's metrics, events and state file",
          (y) => y,
          async (a) => {
            const [{ kubeClient }, { NodeEventRecorder }, { runAgentKeeper }] = await Promise.all([
              import('./kube/client.ts'),
              import('./kube/events.ts'),
              import('./keeper/run.ts'),
            ]);
            const kube = kubeClient();
            const node = nodeName(a.nodeName);
            const events = new NodeEventRecorder({ core: kube.core, node, log });
            try {
              await runAgentKeeper({ paths: pathsOf(a), log, signal: stopSignal(), events });
            } finally {
              await events.flush();
            }
          },
        )
        .command(
          'capacity',
          'the kubelet device plugin for this node’s pod capacity (registers again when kubelet.sock is re-created)',
          (y) =>
            y.option('recount', { type: 'number', default: 300, description: 'seconds between recounts of the pods the count subtracts' }).check((x) => {
              if (!(x.recount > 0)) throw new UsageError('--recount must be > 0 seconds');
              return true;
            }),
          async (a) => {
            const [{ kubeClient }, { runCapacityReporter }] = await Promise.all([import('./kube/client.ts'), import('./capacity/reporter.ts')]);
            await runCapacityReporter({
              paths: pathsOf(a),
              kube: kubeClient(),
              node: nodeName(a.nodeName),
              log,
              signal: stopSignal(),
              recountMs: a.recount * 1000,
            });
          },
        )
        .command(
          'metrics',
          'serve /metrics (Prometheus text: pool, CNI calls, OpenAPI, metadata, device plugin, roles), /healthz and /livez',
          (y) =>
            y
              .option('listen', { type: 'string', description: "[host]:port (default: the config's metricsListen, else :11414)" })
              .check((x) => (x.listen === undefined || parseListen(x.listen), true)),
          async (a) => {
            const [{ startMetricsServer }, { metricsListen }] = await Promise.all([import('./metrics/server.ts'), import('./metrics/listen.ts')]);
            const listen = a.listen !== undefined ? parseListen(a.listen) : metricsListen(a.config, a.nodeConfig, log);
            const server = await startMetricsServer({ paths: pathsOf(a), ...listen, log });
            await untilStopped(stopSignal());
            server.close();
          },
        )
        .command(
          'pod-networks',
          "record in this node's cello-ipam store the PodNetworks and which network each pod of the node is on, following changes (--once: one pass, printed)",
          (y) => y.option('once', { type: 'boolean', default: false, description: 'list, decide, print what was done and exit' }),
          async (a) => {
            const [{ kubeClient }, { NodeEventRecorder }, { syncPodNetworksOnce, watchPodNetworks }] = await Promise.all([
              import('./kube/client.ts'),
              import('./kube/events.ts'),
              import('./pod-networks/run.ts'),
            ]);
            const kube = kubeClient();
            const node = nodeName(a.nodeName);
            const events = new NodeEventRecorder({ core: kube.core, node, log });
            const opts = { kube, node, stateDir: a.stateDir, log, events };
            try {
              if (a.once) {
                const report = await syncPodNetworksOnce(opts);
                emit(report, a.output, { rows: podNetworkRows(report), columns: podNetworkColumns });
              } else {
                await watchPodNetworks(opts, stopSignal());
              }
            } finally {
              await events.flush();
            }
          },
        )
        .command(
          'install',
          'install cello-cni (one executable, into --cni-bin-dir) and, with --conflist, the conflist; what run does first',
          (y) => y.option('conflist', { type: 'string', description: 'also install this conflist now' }),
          async (a) => {
            const { CNI_BINARY, checkConflist, installCniBinary, installConflist } = await import('./install/cni.ts');
            if (a.conflist) checkConflist(a.conflist); // refuse a bad conflist before touching anything
            const binary = installCniBinary({ cniBinDir: a.cniBinDir, source: join(ownDir(), CNI_BINARY), legacyRuntimeDir: a.runtimeDir });
            const conflist = a.conflist ? installConflist({ cniConfDir: a.cniConfDir, source: a.conflist }) : undefined;
            const out = { ...binary, ...(conflist ? { conflist } : {}) };
            emit(out, a.output, { rows: [out], columns: installColumns });
          },
        )
        .command(
          'status',
          'what the supervisor and the keeper last reported: roles, readiness, pool',
          (y) => y,
          async (a) => {
            const [{ readAgentState }, { readKeeperState }] = await Promise.all([import('./supervisor/state.ts'), import('./keeper/state.ts')]);
            const files = runFiles(a.runDir);
            const agent = readAgentState(files.agentState);
            const keeper = readKeeperState(files.keeperState);
            if (!agent && !keeper) throw new CommandError(`no agent state in ${a.runDir}: is cello-agent running on this node (or pass --run-dir)?`);
            const out = { agent: agent ?? null, keeper: keeper ?? null };
            if (resolveFormat(a.output) === 'json') emit(out, 'json');
            else process.stdout.write(statusText(agent, keeper));
          },
        )
        .command(
          'config',
          'the config in effect (both scopes merged, defaults filled in), secrets shown as ***',
          (y) => y.option('kubernetes', { type: 'boolean', default: false, description: 'read the ConfigMaps from the API instead of the files on this node' }),
          async (a) => {
            const { configFromFiles, configFromKubernetes } = await import('./config/effective.ts');
            const out = a.kubernetes
              ? await configFromKubernetes((await import('./kube/client.ts')).kubeClient().core, nodeName(a.nodeName))
              : configFromFiles(a.config, a.nodeConfig);
            emit(out, a.output, { rows: Object.entries(out.config), columns: keyValueColumns });
          },
        ),
    // Once a command has ended the process exits: a socket a role leaves behind (a keep-alive connection
    // of the Kubernetes client, a watch being torn down) must not keep the pod's main process alive.
    { exitWhenDone: true },
  );
}

void main(process.argv.slice(2));
