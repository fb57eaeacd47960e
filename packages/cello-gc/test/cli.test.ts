// bin/cello-gc as a command: usage mistakes exit 2 naming the flag or field,
// failures exit 1 with one line, the report as a table or JSON, --watch
// printing one JSON line per sweep and stopping cleanly on SIGTERM. The node
// sweeps here run local steps only (--no-cloud --no-kubernetes), inside a
// namespace of their own.
import t from 'tap';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bin, createNetns, must, run, tempDir } from '@cello/testkit';
import type { SweepReport } from '../src/index.ts';

const gc = (...args: string[]) => run(bin('cello-gc'), args);
const dir = tempDir('cello-gc-cli-');
t.teardown(() => dir.remove());

t.test('usage mistakes exit 2 and name what is wrong', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['node', '--grace', '-1'], /--grace: expected seconds ≥ 0/],
    [['node', '--once', '--watch'], /--once and --watch: choose one/],
    [['node', '--interval', '0', '--watch'], /--interval: expected seconds > 0/],
    [['node', '--now', 'tomorrow'], /--now: expected a time from now on/],
    [['node', '--now', '2020-01-01T00:00:00Z'], /--now: expected a time from now on/],
    [['node', '--watch', '--now', '2999-01-01T00:00:00Z'], /--now and --watch/],
    [['node', '--unknown-ips', 'keep'], /unknown-ips/],
    [['cluster', '--region', 'cn-beijing'], /--region and --vpc-id go together/],
    [['cluster', '--concurrency', '0'], /--concurrency: expected a whole number ≥ 1/],
    [['sweep'], /Unknown argument|name a command/],
  ];
  for (const [args, message] of cases) {
    const r = await gc(...args);
    t.equal(r.exitCode, 2, `${args.join(' ')}: exit 2`);
    t.match(String(r.stderr), message);
  }
  const bad = join(dir.path, 'attachments.json');
  writeFileSync(bad, JSON.stringify({ 'cni.dev/valid-attachments': [{ containerID: 'c1' }] }));
  const r = await gc('node', '--no-cloud', '--valid-attachments', bad);
  t.equal(r.exitCode, 2);
  t.match(String(r.stderr), /^cello-gc: .*attachments\.json\[0\]\.ifname: expected an interface name/);
});

t.test('failures exit 1 with one line that says what to do', async (t) => {
  const noDb = await gc('node', '--no-cloud', '--state-dir', join(dir.path, 'nothing-here'));
  t.equal(noDb.exitCode, 1);
  t.match(String(noDb.stderr), /^cello-gc: no cello-ipam database in .*nothing-here: .*--state-dir/);
  const noConfig = await gc('cluster', '--config', join(dir.path, 'missing'));
  t.equal(noConfig.exitCode, 2, 'a missing config file is a usage error (as cello-eni)');
  t.match(String(noConfig.stderr), /missing: \(file\): no such file/);
  const conf = join(dir.path, 'conf');
  writeFileSync(
    conf,
    JSON.stringify({
      subnets: ['subnet-1'],
      securityGroups: ['sg-1'],
      credentialAccessKeyId: 'AKLTtest',
      credentialAccessKeySecret: 'c2VjcmV0c2VjcmV0',
      openApiAddress: 'http://127.0.0.1:9',
      metadataAddress: 'http://127.0.0.1:9',
    }),
  );
  const noCluster = await gc('cluster', '--config', conf, '--node-config', join(dir.path, 'none'));
  t.equal(noCluster.exitCode, 1);
  t.match(String(noCluster.stderr), /clusterName/);
  t.notMatch(String(noCluster.stderr), /c2VjcmV0c2VjcmV0/, 'no secret in the error');
});

t.test('--help answers what it does', async (t) => {
  const r = await gc('--help');
  t.equal(r.exitCode, 0);
  t.match(String(r.stdout), /cello-gc node --dry-run/);
  t.match(String(r.stdout), /cello-gc cluster/);
  const node = await gc('node', '--help');
  t.match(String(node.stdout), /--valid-attachments/);
  t.match(String(node.stdout), /--unknown-ips/);
});

t.test('a local sweep: table on request, JSON when piped, --watch until SIGTERM', async (t) => {
  const ns = await createNetns('gcc');
  t.teardown(() => ns.remove());
  const stateDir = join(dir.path, 'state');
  const eni = {
    id: 'eni-cli',
    mac: '02:00:00:00:00:01',
    mode: 'shared',
    subnetCidr: '10.9.0.0/24',
    gateway: '10.9.0.1',
    primaryIp: '10.9.0.10',
    ips: ['10.9.0.10', '10.9.0.11'],
  };
  await must(bin('cello-ipam'), ['import', '--state-dir', stateDir], { input: JSON.stringify({ enis: [eni] }) });
  await must(bin('cello-ipam'), ['alloc', '--state-dir', stateDir, '--container', 'gone', '--netns', '/var/run/netns/cello-gc-cli-never-existed']);
  const inNs = (...args: string[]) => ns.exec(bin('cello-gc'), ['node', '--no-cloud', '--no-kubernetes', '--state-dir', stateDir, ...args]);

  const table = await inNs('--grace', '0', '--dry-run', '-o', 'table');
  t.equal(table.exitCode, 0);
  t.match(
    String(table.stdout),
    /^KIND\s+WHAT\s+WHY\s+ACTION\s+OUTCOME\s+NOTE\nallocation\s+cello\/gone\/eth0 10\.9\.0\.\d+\s+netns \/var\/run\/netns\/cello-gc-cli-never-existed is gone; no pod owns it\s+release\s+would-fix/,
  );
  t.match(String(table.stdout), /node sweep of .* \(dry run: nothing changed\): 1 found, 0 fixed, 1 would be fixed/);
  t.match(String(table.stdout), /sources: kubernetes off; runtime not asked; keeper not running; cloud off/);

  const p = spawn('/usr/bin/env', [
    '-u',
    'NODE_OPTIONS',
    'ip',
    'netns',
    'exec',
    ns.name,
    bin('cello-gc'),
    'node',
    '--no-cloud',
    '--no-kubernetes',
    '--state-dir',
    stateDir,
    '--grace',
    '0',
    '--watch',
    '--interval',
    '0.2',
  ]);
  const reports: SweepReport[] = [];
  const lines = createInterface({ input: p.stdout });
  await new Promise<void>((resolve) => {
    lines.on('line', (line) => {
      reports.push(JSON.parse(line) as SweepReport);
      if (reports.length === 2) resolve();
    });
  });
  const exited = new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code)));
  p.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM: exit 0 after the current sweep');
  t.match(reports[0]!.findings, [{ kind: 'allocation', outcome: 'fixed' }], 'the first sweep released it');
  t.same(reports[1]!.findings, [], 'the second found nothing');
});
