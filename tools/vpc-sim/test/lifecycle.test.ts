// `up` then `down` leaves nothing behind — no namespace, link, process or
// file — also when `up` (or the server) was killed at any point; `down` is
// idempotent; the server survives bad input and stops cleanly on SIGTERM.
import { existsSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import t from 'tap';
import { bin, run } from '@cello/testkit';
import { uniqueSimName } from '../src/index.ts';
import { sleep } from '../src/util/time.ts';
import { fixture } from './simkit.ts';

const vpcSim = bin('vpc-sim');
const env = { ...process.env, NODE_OPTIONS: '' };

/** Everything of the sim still on the machine, found without the sim's own code. */
async function leftovers(name: string) {
  const netns = String((await run('ip', ['netns', 'list'])).stdout)
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(`${name}-`));
  const ps = String((await run('ps', ['-eo', 'pid=,args='])).stdout);
  const processes = ps.split('\n').filter((l) => l.includes(`/run/vpc-sim/${name}`) || l.includes(`--name ${name} `));
  return { netns, processes, stateDir: existsSync(`/run/vpc-sim/${name}`) };
}
const NOTHING = { netns: [], processes: [], stateDir: false };

function alive(pid: number) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

t.test('up --nodes 3, then down: nothing left', async (t) => {
  const name = uniqueSimName('l');
  t.teardown(() => run(vpcSim, ['down', '--name', name]));
  const up = await run(vpcSim, ['up', '--name', name, '--nodes', '3']);
  t.equal(up.exitCode, 0, String(up.stderr));
  const info = JSON.parse(String(up.stdout));
  t.match(info, {
    name,
    region: 'cn-beijing',
    vpc: { id: /^vpc-/, cidr: '192.168.0.0/16' },
    subnets: [{ id: /^subnet-/, cidr: '192.168.1.0/24', gateway: '192.168.1.1', cidrV6: 'fd00:0:0:1::/64' }, { id: /^subnet-/ }],
    securityGroups: [{ id: /^sg-/ }],
    openapi: { endpoint: 'http://100.96.0.100', accessKeyId: /^AKLT/, secretAccessKey: /\w{20,}/, region: 'cn-beijing' },
    metadata: { address: '100.96.0.96', ramRole: 'KubernetesNodeRoleForECS' },
    kubernetes: { server: 'http://100.96.0.101:6443', kubeconfig: `/run/vpc-sim/${name}/kubeconfig` },
    control: { socket: `/run/vpc-sim/${name}/control.sock` },
  });
  t.equal(info.nodes.length, 3);
  t.match(info.nodes[2], {
    name: 'node3',
    netns: `${name}-node3`,
    instanceId: /^i-/,
    instanceType: 'ecs.g3i.large',
    primaryIp: /^192\.168\.1\.\d+$/,
    mac: /^02:/,
    primaryEniId: /^eni-/,
  });
  const again = await run(vpcSim, ['info', '--name', name]);
  t.same(JSON.parse(String(again.stdout)), info, 'info prints the same document');

  const during = await leftovers(name);
  t.same(during.netns.sort(), [`${name}-node1`, `${name}-node2`, `${name}-node3`, `${name}-vpc`]);
  t.ok(alive(info.server.pid), 'the server runs');
  // Nothing in the machine's namespace is connected to the sim: no root link has a peer in a sim namespace.
  const ids = String((await run('ip', ['netns', 'list-id'])).stdout);
  const ours = [...ids.matchAll(/nsid (\d+) \(iproute2 netns name: (\S+)\)/g)].filter((m) => m[2]!.startsWith(`${name}-`)).map((m) => Number(m[1]));
  const rootLinks = JSON.parse(String((await run('ip', ['-j', 'link', 'show'])).stdout)) as Array<{ ifname: string; link_netnsid?: number }>;
  t.same(
    rootLinks.filter((l) => l.link_netnsid !== undefined && ours.includes(l.link_netnsid)),
    [],
    'no root-namespace link reaches into the sim',
  );

  const refused = await run(vpcSim, ['up', '--name', name]);
  t.equal(refused.exitCode, 2, 'a second up of a running sim is refused');
  t.match(String(refused.stderr), /already up/);

  const down = await run(vpcSim, ['down', '--name', name, '--json']);
  t.equal(down.exitCode, 0, String(down.stderr));
  const report = JSON.parse(String(down.stdout));
  t.ok(report.pids.includes(info.server.pid), 'down stopped the server (and its helpers in the router namespace)');
  t.same([...report.namespaces].sort(), during.netns, 'and removed the namespaces');
  t.same(await leftovers(name), NOTHING, 'nothing left');
  t.notOk(alive(info.server.pid), 'the server is gone');
  const second = await run(vpcSim, ['down', '--name', name, '--json']);
  t.equal(second.exitCode, 0, 'down again succeeds');
  t.match(JSON.parse(String(second.stdout)), { pids: [], namespaces: [] }, 'and finds nothing');
});

t.test('down cleans up after an up killed at any point', async (t) => {
  /** Resolves when `up` has started making things (its state directory exists). */
  const working = async (name: string, limitMs: number) => {
    const t0 = Date.now();
    while (!existsSync(`/run/vpc-sim/${name}`) && Date.now() - t0 < limitMs) await sleep(2);
  };
  // How long the making part of an `up` takes here, so the kills spread over all of it (and a little past).
  const probe = uniqueSimName('k');
  const started = Date.now();
  const probing = run(vpcSim, ['up', '--name', probe, '--nodes', '3']);
  await working(probe, 10_000);
  const making = Date.now();
  await probing;
  const whole = Date.now() - making;
  await run(vpcSim, ['down', '--name', probe]);

  const outcomes: string[] = [];
  const runs = 10;
  for (let i = 0; i < runs; i++) {
    const name = uniqueSimName('k');
    t.teardown(() => run(vpcSim, ['down', '--name', name]));
    const child = spawn(vpcSim, ['up', '--name', name, '--nodes', '3'], { env, stdio: 'ignore' });
    const exited = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? `exit ${code}`)));
    // The first runs die while Node starts; the rest at spread points of the making.
    if (i < 2) await sleep(Math.floor(Math.random() * (making - started)));
    else {
      await working(name, 10_000);
      await sleep(Math.floor(((i - 2 + Math.random()) * whole * 1.1) / (runs - 2)));
    }
    child.kill('SIGKILL');
    const how = await exited;
    const down = await run(vpcSim, ['down', '--name', name, '--json']);
    t.equal(down.exitCode, 0, `down after a kill at step ${i}: ${String(down.stderr)}`);
    const found = JSON.parse(String(down.stdout));
    outcomes.push(`${how}: ${found.namespaces.length} netns, ${found.pids.length} processes, ${found.stateDir ? 'files' : 'no files'}`);
    t.same(await leftovers(name), NOTHING, `nothing left after a kill at step ${i}`);
  }
  t.comment(`up made its world in ${whole} ms; what each down found: ${outcomes.join('; ')}`);
});

t.test('a sim whose server died: down cleans it, up repairs it', async (t) => {
  const name = uniqueSimName('c');
  t.teardown(() => run(vpcSim, ['down', '--name', name]));
  const first = JSON.parse(String((await run(vpcSim, ['up', '--name', name, '--nodes', '1'])).stdout));
  process.kill(first.server.pid, 'SIGKILL');
  const again = await run(vpcSim, ['up', '--name', name, '--nodes', '2']);
  t.equal(again.exitCode, 0, `up over a dead sim of the same name: ${String(again.stderr)}`);
  const second = JSON.parse(String(again.stdout));
  t.equal(second.nodes.length, 2);
  t.not(second.vpc.id, first.vpc.id, 'a fresh world');
  await run(vpcSim, ['down', '--name', name]);
  t.same(await leftovers(name), NOTHING);
});

t.test('the server survives malformed requests and stops cleanly on SIGTERM', async (t) => {
  const name = uniqueSimName('m');
  t.teardown(() => run(vpcSim, ['down', '--name', name]));
  const info = JSON.parse(String((await run(vpcSim, ['up', '--name', name, '--nodes', '1'])).stdout));
  const r = await run(vpcSim, ['exec', '--name', name, 'node1', '--', 'node', fixture('garbage.mjs')], { env });
  t.equal(r.exitCode, 0, String(r.stderr));
  const answers = JSON.parse(String(r.stdout)) as Record<string, string>;
  t.match(answers, {
    openapiBadEncoding: /^40\d /,
    openapiHugeBody: /^(400|413) |^closed/,
    openapiNoAuth: /^401 .*MissingAuthenticationToken/,
    openapiRawGarbage: /^(400|closed)/,
    metadataBadPath: /^400 /,
    metadataUnknown: /^404 /,
    kubernetesBadJson: /^(400|401) /,
  });
  const health = await run(vpcSim, ['api', '--name', name, 'DescribeSubnets']);
  t.equal(health.exitCode, 0, 'still answering');
  t.ok(alive(info.server.pid), 'still running');

  process.kill(info.server.pid, 'SIGTERM');
  for (let i = 0; i < 200 && alive(info.server.pid); i++) await sleep(25);
  t.notOk(alive(info.server.pid), 'stopped on SIGTERM');
  t.match(readFileSync(info.server.log, 'utf8'), /"msg":"stopping","signal":"SIGTERM"/, 'and said so in its log');
  await run(vpcSim, ['down', '--name', name]);
  t.same(await leftovers(name), NOTHING);
});
