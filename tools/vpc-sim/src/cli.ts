/**
 * vpc-sim: the Volcengine VPC on one machine. A thin yargs shell over the
 * library; every command names its sim with --name (default $VPC_SIM_NAME or
 * "cello").
 */
import { CommandError, emit, readJsonFile, readJsonInput, resolveFormat, UsageError } from '@cello/cli-kit';
import { runCommandLine } from '@cello/cli-kit/yargs';
import type { Argv } from 'yargs';
import { faultCommand } from './cli/fault.ts';
import { parseApiParams } from './cli/input.ts';
import { sgCommand } from './cli/sg.ts';
import { callColumns, downColumns, eniColumns, faultColumns, instanceColumns, simColumns } from './cli/tables.ts';
import { ControlClient } from './control/client.ts';
import type { SimInfo } from './info.ts';
import { down } from './lifecycle/down.ts';
import { execInNode } from './lifecycle/exec.ts';
import { listSims } from './lifecycle/list.ts';
import { up } from './lifecycle/up.ts';
import { checkSimName, DEFAULT_NAME, simPaths } from './naming.ts';

const USAGE = `vpc-sim simulates the Volcengine VPC on this machine: an OpenAPI (vpc/ecs 2020-04-01),
the instance metadata service, a minimal Kubernetes API and a real network-namespace dataplane.

Usage: vpc-sim <command> [options]

Start one with \`vpc-sim up --name s1 --nodes 2 > info.json\`, run things on a node with
\`vpc-sim exec --name s1 node1 -- CMD\`, and remove it with \`vpc-sim down --name s1\`.`;

const withName = <T>(y: Argv<T>) =>
  y.option('name', { alias: 'n', type: 'string', default: process.env.VPC_SIM_NAME ?? DEFAULT_NAME, description: 'which sim ($VPC_SIM_NAME)' });

/** The --output flag, with --json for json. */
const format = (argv: Record<string, unknown>) => (argv.json ? 'json' : (argv.output as string | undefined));

function control(name: string): ControlClient {
  return new ControlClient(simPaths(checkSimName(name)).controlSocket);
}

export async function main(argv: string[]): Promise<void> {
  await runCommandLine('vpc-sim', argv, USAGE, (cli) =>
    cli
      .parserConfiguration({ 'populate--': true })
      .option('json', { type: 'boolean', description: 'same as --output json' })
      .command(
        'up',
        'build a sim and print its info document (JSON)',
        (y) =>
          withName(y)
            .option('nodes', { type: 'number', default: 2, description: 'how many nodes (ECS instances)' })
            .option('instance-type', { type: 'string', description: "the nodes' instance type (default: the config's instanceType)" })
            .option('config', { type: 'string', description: 'a JSON file with world settings (see docs/vpc-sim.md)' }),
        async (a) => {
          const config = a.config ? await readJsonInput(a.config, '--config') : {};
          emit(await up({ name: checkSimName(a.name), nodes: a.nodes, instanceType: a['instance-type'], config }), 'json');
        },
      )
      .command(
        'down',
        'stop the sim and remove everything it made (also after a crashed up)',
        (y) => withName(y).option('dry-run', { type: 'boolean', description: 'only say what would be removed' }),
        async (a) => {
          const report = await down(checkSimName(a.name), { dryRun: a['dry-run'] });
          emit(report, format(a), { rows: [report], columns: downColumns });
        },
      )
      .command('info', 'print the info document of a running sim (JSON)', withName, async (a) => {
        const info = readJsonFile<SimInfo>(simPaths(checkSimName(a.name)).info);
        if (!info) throw new CommandError(`sim ${a.name} is not up (no info document); start it with vpc-sim up --name ${a.name}`);
        emit(info, 'json');
      })
      .command(
        'list',
        'list the sims on this machine',
        (y) => y,
        async (a) => {
          const sims = await listSims();
          emit(sims, format(a), { rows: sims, columns: simColumns });
        },
      )
      .command(
        'exec <node>',
        'run a command on a node: vpc-sim exec NODE -- CMD…',
        (y) => withName(y).positional('node', { type: 'string', demandOption: true, description: 'node name, e.g. node1' }),
        async (a) => {
          const cmd = ((a as unknown as { '--'?: unknown[] })['--'] ?? []).map(String);
          return (await execInNode(checkSimName(a.name), a.node, cmd, { stdio: 'inherit' })).code;
        },
      )
      .command('state', 'print the cloud state: instances, ENIs and their IPs', withName, async (a) => {
        const state = await control(a.name).state();
        if (resolveFormat(format(a)) === 'json') return emit(state, 'json');
        emit(state.instances, 'table', { rows: state.instances, columns: instanceColumns });
        process.stdout.write('\n');
        emit(state.enis, 'table', { rows: state.enis, columns: eniColumns });
      })
      .command(
        'calls',
        'print the log of OpenAPI calls',
        (y) =>
          withName(y)
            .option('since', { type: 'string', description: 'only calls after this sequence number or ISO time' })
            .option('action', { type: 'string', description: 'only calls of this action' }),
        async (a) => {
          const calls = await control(a.name).calls({ since: a.since, action: a.action });
          emit(calls, format(a), { rows: calls, columns: callColumns });
        },
      )
      .command('fault', 'inject faults into the OpenAPI and the metadata service', (y) =>
        faultCommand(withName(y), control, (a, data) => {
          const rows = (data as { faults?: unknown[] }).faults;
          emit(data, format(a as Record<string, unknown>), rows ? { rows: rows as never[], columns: faultColumns } : undefined);
        }),
      )
      .command('sg', 'security groups: list, create, delete, allow, revoke, set-eni', (y) => sgCommand(withName(y), control, format))
      .command(
        'instance delete <instance>',
        'terminate an instance: its secondary ENIs become Available, its node goes away',
        (y) =>
          withName(y)
            .positional('instance', { type: 'string', demandOption: true, description: 'instance id or node name' })
            .option('keep-k8s-node', { type: 'boolean', description: 'leave the Kubernetes Node object in place' }),
        async (a) => {
          emit(await control(a.name).deleteInstance(a.instance, a['keep-k8s-node']), 'json');
        },
      )
      .command(
        'api <action> [params..]',
        'run an API action as the account owner, unsigned: vpc-sim api DescribeSubnets PageSize=10',
        (y) => withName(y).positional('action', { type: 'string', demandOption: true }).positional('params', { type: 'string', array: true }),
        async (a) => {
          const r = await control(a.name).api(a.action, parseApiParams((a.params ?? []).map(String)));
          emit(r.body, 'json');
          const error = (r.body as { ResponseMetadata?: { Error?: { Code: string; Message: string } } })?.ResponseMetadata?.Error;
          if (error) throw new CommandError(`${a.action} failed: ${error.Code}: ${error.Message}`);
        },
      )
      .command(
        'k8s <method> <path>',
        "call the sim's Kubernetes API without a token: vpc-sim k8s GET /api/v1/nodes",
        (y) =>
          withName(y)
            .positional('method', { type: 'string', demandOption: true, choices: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] })
            .positional('path', { type: 'string', demandOption: true })
            .option('data', { type: 'string', description: 'request body (JSON)' })
            .option('patch-type', { type: 'string', choices: ['merge', 'strategic', 'json'], default: 'merge' }),
        async (a) => {
          let body: unknown;
          if (a.data !== undefined) {
            try {
              body = JSON.parse(a.data);
            } catch {
              throw new UsageError('--data must be JSON');
            }
          }
          const type =
            a.method === 'PATCH'
              ? { merge: 'application/merge-patch+json', strategic: 'application/strategic-merge-patch+json', json: 'application/json-patch+json' }[
                  a['patch-type'] as 'merge'
                ]
              : undefined;
          const r = await control(a.name).k8s(a.method, a.path, body, type);
          emit(r.body, 'json');
          if (r.status >= 400) throw new CommandError(`${a.method} ${a.path}: HTTP ${r.status}`);
        },
      )
      .command(
        'serve',
        false,
        (y) => y.option('name', { type: 'string', demandOption: true }).option('state-dir', { type: 'string', demandOption: true }),
        async (a) => {
          if (a['state-dir'] !== simPaths(checkSimName(a.name)).stateDir) throw new UsageError('--state-dir does not match --name');
          const { runServer } = await import('./server/main.ts');
          await runServer(a.name);
        },
      ),
  );
}

void main(process.argv.slice(2));
