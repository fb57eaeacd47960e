// The vpc-sim command line: usage mistakes exit 2 with one line naming the
// field; failures exit 1; on a running sim, state/calls/fault/api/k8s/
// instance answer as documented, as JSON when piped.
import t from 'tap';
import { bin, run } from '@cello/testkit';
import { NO_DELAYS, withSim } from '@cello/testkit/sim';
import { uniqueSimName } from '../src/index.ts';
import { tempDir } from '@cello/testkit';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture } from './simkit.ts';

const vpcSim = bin('vpc-sim');
const env = { ...process.env, NODE_OPTIONS: '' };
const cli = (...args: string[]) => run(vpcSim, args, { env });

t.test('usage mistakes: exit 2, one line, naming the field', async (t) => {
  const dir = tempDir('vpc-sim-cli-');
  t.teardown(dir.remove);
  const cfg = (name: string, doc: unknown) => {
    const p = join(dir.path, name);
    writeFileSync(p, typeof doc === 'string' ? doc : JSON.stringify(doc));
    return p;
  };
  const name = uniqueSimName('u');
  const cases: Array<[string[], RegExp]> = [
    [['up', '--name', name, '--nodes', '0'], /--nodes must be 1-512/],
    [['up', '--name', name, '--nodes', 'many'], /--nodes/],
    [['up', '--name', 'Not-OK'], /sim name "Not-OK"/],
    [['up', '--name', name, '--instance-type', 'ecs.huge'], /unknown instance type ecs\.huge/],
    [['up', '--name', name, '--config', cfg('a.json', { delaysMs: { atach: 1 } })], /unknown key "delaysMs\.atach"/],
    [
      ['up', '--name', name, '--config', cfg('b.json', { subnets: [{ name: 's', cidr: '10.0.0.0/24' }] })],
      /"subnets\[0\]\.cidr" 10\.0\.0\.0\/24 is outside vpcCidr/,
    ],
    [['up', '--name', name, '--config', cfg('c.json', { eniQuota: -1 })], /"eniQuota" must be an integer ≥ 0/],
    [['up', '--name', name, '--config', cfg('d.json', '{nope')], /is not valid JSON/],
    [['up', '--name', name, '--config', join(dir.path, 'missing.json')], /--config .*: no such file/],
    [['api', '--name', name, 'DescribeSubnets', 'PageSize'], /parameter "PageSize" must be Key=Value/],
    [['fault', '--name', name, 'throttle'], /Missing required argument: rate/],
    [['fault', '--name', name], /name a fault/],
    [['k8s', '--name', name, 'GET', '/api/v1/nodes', '--data', '{'], /--data must be JSON/],
    [['frobnicate'], /Unknown argument|Unknown command/],
  ];
  for (const [args, msg] of cases) {
    const r = await cli(...args);
    t.equal(r.exitCode, 2, `${args.join(' ')}: exit 2`);
    const lines = String(r.stderr).trim().split('\n');
    t.match(lines.at(-1), msg, `${args.join(' ')}: names the problem`);
    t.ok(
      String(r.stderr)
        .trim()
        .split('\n')
        .every((l) => !/^\s+at /.test(l)),
      'no stack trace',
    );
  }
  const notUp = await cli('state', '--name', name);
  t.equal(notUp.exitCode, 1, 'a sim that is not running: exit 1');
  t.match(String(notUp.stderr), /the sim is not running/);
  t.equal((await cli('info', '--name', name)).exitCode, 1);
});

t.test('commands on a running sim', async (t) => {
  const sim = await withSim(t, { nodes: 2, config: { delaysMs: NO_DELAYS } });
  const name = sim.info.name;
  const signed = (...args: string[]) =>
    sim.exec('node1', ['node', fixture('openapi-call.mjs'), ...args], {
      env: { SIM_AK: sim.info.openapi.accessKeyId, SIM_SK: sim.info.openapi.secretAccessKey },
    });

  const list = JSON.parse(String((await cli('list', '--json')).stdout)) as Array<{ name: string; status: string; nodes: number }>;
  t.match(
    list.find((s) => s.name === name),
    { status: 'up', nodes: 2 },
    'list shows the sim',
  );

  const created = await cli(
    'api',
    '--name',
    name,
    'CreateNetworkInterface',
    `SubnetId=${sim.info.subnets[0]!.id}`,
    `SecurityGroupIds.1=${sim.info.securityGroups[0]!.id}`,
    'SecondaryPrivateIpAddressCount=2',
  );
  t.equal(created.exitCode, 0, String(created.stderr));
  const eniId = JSON.parse(String(created.stdout)).Result.NetworkInterfaceId;
  const failed = await cli('api', '--name', name, 'DeleteNetworkInterface', 'NetworkInterfaceId=eni-nope');
  t.equal(failed.exitCode, 1, 'an API error: exit 1');
  t.match(String(failed.stderr), /DeleteNetworkInterface failed: InvalidEniId\.NotFound/);
  t.match(JSON.parse(String(failed.stdout)), { ResponseMetadata: { Error: { Code: 'InvalidEniId.NotFound' } } }, 'the envelope on stdout');

  const state = JSON.parse(String((await cli('state', '--name', name)).stdout));
  t.match(
    state.enis.find((e: { id: string }) => e.id === eniId),
    { status: 'Available', type: 'secondary' },
  );
  t.equal(state.enis.find((e: { id: string }) => e.id === eniId).secondaryIps.length, 2);
  t.equal(state.instances.length, 2);
  const table = await cli('state', '--name', name, '--output', 'table');
  t.match(String(table.stdout), new RegExp(`ENI\\s+TYPE\\s+STATUS[\\s\\S]*${eniId}\\s+secondary\\s+Available`), 'a table when asked');

  t.equal((await cli('fault', '--name', name, 'nth', '--action', 'DescribeSubnets', '--call', '2', '--code', 'InternalError')).exitCode, 0);
  t.equal((await cli('fault', '--name', name, 'error', '--action', 'DescribeInstances', '--status', '503', '--times', '1')).exitCode, 0);
  const bad = await cli('fault', '--name', name, 'error', '--status', '404');
  t.equal(bad.exitCode, 2, 'the server refuses a bad rule: usage error');
  t.match(String(bad.stderr), /status must be 5xx/);
  const faults = JSON.parse(String((await cli('fault', '--name', name, 'list')).stdout));
  // The account's flow limits (config, {"*": 20} by default) are listed too; count the injected ones.
  const injected = (list: Array<{ source: string }>) => list.filter((f) => f.source === 'fault');
  t.equal(injected(faults.faults).length, 2);
  const codes: string[] = [];
  for (const [svc, action] of [
    ['vpc', 'DescribeSubnets'],
    ['vpc', 'DescribeSubnets'],
    ['vpc', 'DescribeSubnets'],
    ['ecs', 'DescribeInstances'],
    ['ecs', 'DescribeInstances'],
  ]) {
    const r = await signed(svc!, action!);
    codes.push(JSON.parse(r.stdout).ResponseMetadata.Error?.Code ?? 'OK');
  }
  t.same(codes, ['OK', 'InternalError', 'OK', 'ServiceUnavailableTemp', 'OK'], 'the faults hit the signed calls as set');
  const calls = JSON.parse(String((await cli('calls', '--name', name, '--json')).stdout)) as Array<{
    seq: number;
    action: string;
    code: string;
    status: number;
    caller: string;
    auth: string;
  }>;
  t.same(
    calls.map((c) => `${c.action} ${c.code} ${c.status}`),
    [
      'DescribeSubnets OK 200',
      'DescribeSubnets InternalError 500',
      'DescribeSubnets OK 200',
      'DescribeInstances ServiceUnavailableTemp 503',
      'DescribeInstances OK 200',
    ],
    'calls: the log (admin api calls are not in it)',
  );
  t.ok(calls.every((c) => c.caller === sim.info.nodes[0]!.instanceId && c.auth === 'owner'));
  const since = JSON.parse(String((await cli('calls', '--name', name, '--since', String(calls[2]!.seq), '--action', 'DescribeInstances')).stdout));
  t.equal(since.length, 2, 'calls --since SEQ --action');
  t.equal((await cli('fault', '--name', name, 'clear')).exitCode, 0);
  t.same(
    injected(JSON.parse(String((await cli('fault', '--name', name, 'list')).stdout)).faults),
    [],
    'clear removes every injected fault (the flow limits stay)',
  );

  const nodes = JSON.parse(String((await cli('k8s', '--name', name, 'GET', '/api/v1/nodes')).stdout));
  t.same(
    nodes.items.map((n: { metadata: { name: string } }) => n.metadata.name),
    ['node1', 'node2'],
  );
  const patched = await cli('k8s', '--name', name, 'PATCH', '/api/v1/nodes/node1', '--data', '{"metadata":{"labels":{"x":"y"}}}');
  t.equal(JSON.parse(String(patched.stdout)).metadata.labels.x, 'y', 'k8s PATCH (merge by default)');
  t.equal((await cli('k8s', '--name', name, 'GET', '/api/v1/nodes/node9')).exitCode, 1, 'a 404: exit 1');

  const gone = await cli('instance', 'delete', '--name', name, 'node9');
  t.equal(gone.exitCode, 1);
  t.match(String(gone.stderr), /no instance or node named node9/);
  const del = await cli('instance', 'delete', '--name', name, sim.info.nodes[1]!.instanceId);
  t.equal(del.exitCode, 0, String(del.stderr));
  t.match(JSON.parse(String(del.stdout)), { node: 'node2' });
  t.equal(JSON.parse(String((await cli('info', '--name', name)).stdout)).nodes.length, 1, 'info follows');

  const help = await cli('--help');
  t.match(String(help.stdout), /vpc-sim up[\s\S]*vpc-sim down[\s\S]*vpc-sim exec/);
  t.notMatch(String(help.stdout), /serve/, 'the internal serve command is hidden');
});
