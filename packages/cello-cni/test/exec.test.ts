// `cello-cni exec`, cnitool-style, driving Debian's reference plugins (ptp,
// host-local, bandwidth): each plugin's input and output is reported, and the
// result cache is libcni's own format (libcni reads what exec wrote).
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, createNetns, must, run, tempDir, testBin } from '@cello/testkit';

const dir = tempDir('cello-exec-');
t.teardown(() => dir.remove());
const net = `ex${process.pid}`;
writeFileSync(
  join(dir.path, '10-test.conflist'),
  JSON.stringify({
    cniVersion: '1.0.0',
    name: net,
    plugins: [
      { type: 'ptp', ipMasq: false, ipam: { type: 'host-local', subnet: '10.250.7.0/29', dataDir: join(dir.path, 'ipam') } },
      { type: 'bandwidth', capabilities: { bandwidth: true } },
    ],
  }),
);
const env = { NETCONFPATH: dir.path, CNI_PATH: '/usr/lib/cni', CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=p1;K8S_POD_NAMESPACE=default' };
const cache = join(dir.path, 'cache');
const exec = (...args: string[]) => run(bin('cello-cni'), ['exec', ...args, '--cache-dir', cache, '-o', 'json'], { env });

t.test('add, check, del over a conflist of reference plugins', async (t) => {
  const ns = await createNetns('ex');
  t.teardown(() => ns.remove());
  const capArgs = { bandwidth: { ingressRate: 1000000, ingressBurst: 100000, egressRate: 2000000, egressBurst: 200000 } };
  const add = await run(bin('cello-cni'), ['exec', 'add', net, ns.path, '--cache-dir', cache, '-o', 'json'], {
    env: { ...env, CAP_ARGS: JSON.stringify(capArgs) },
  });
  t.equal(add.exitCode, 0, String(add.stderr));
  const report = JSON.parse(String(add.stdout));
  t.same(
    report.steps.map((s: { plugin: string; command: string }) => `${s.plugin} ${s.command}`),
    ['ptp ADD', 'bandwidth ADD'],
  );
  t.same(report.steps[1].stdin.runtimeConfig, capArgs, 'the matched capability went to bandwidth as runtimeConfig');
  t.same(report.steps[1].stdin.prevResult, report.steps[0].stdout, "bandwidth got ptp's result as prevResult");
  t.equal(report.steps[0].env.CNI_ARGS, env.CNI_ARGS, 'CNI_ARGS passed through');
  t.match(report.containerId, /^cnitool-[0-9a-f]{20}$/, "cnitool's container id");
  const addr = await ns.exec('ip', ['-4', '-o', 'addr', 'show', 'eth0']);
  t.match(String(addr.stdout), /10\.250\.7\.\d+\/29/, 'the pod got its address');

  const cached = await must(testBin('libcni-driver'), [
    '-conflist',
    join(dir.path, '10-test.conflist'),
    '-id',
    report.containerId,
    '-ifname',
    'eth0',
    '-netns',
    ns.path,
    '-cache-dir',
    cache,
    'cached',
  ]);
  t.same(JSON.parse(String(cached.stdout)).ips, report.result.ips, "libcni reads exec's result cache");

  const check = await exec('check', net, ns.path);
  t.equal(check.exitCode, 0, 'check passes');
  t.same(JSON.parse(String(check.stdout)).steps[1].stdin.runtimeConfig, capArgs, 'check reuses the cached capability args');

  const del = await exec('del', net, ns.path);
  t.equal(del.exitCode, 0);
  t.same(
    JSON.parse(String(del.stdout)).steps.map((s: { plugin: string }) => s.plugin),
    ['bandwidth', 'ptp'],
    'DEL runs in reverse',
  );
  t.equal((await ns.exec('ip', ['link', 'show', 'eth0'])).exitCode, 1, 'eth0 is gone');
  t.equal((await exec('del', net, ns.path)).exitCode, 0, 'a second del succeeds');
});

t.test('errors: unknown network, missing plugin, bad CAP_ARGS', async (t) => {
  const unknown = await exec('add', 'nosuchnet', '/var/run/netns/none');
  t.equal(unknown.exitCode, 1);
  t.match(String(unknown.stderr), /no net configuration with name "nosuchnet"/);
  const noPlugin = await run(bin('cello-cni'), ['exec', 'add', net, '/var/run/netns/none', '--cache-dir', cache, '-o', 'json'], {
    env: { ...env, CNI_PATH: dir.path },
  });
  t.equal(noPlugin.exitCode, 1);
  t.match(JSON.parse(String(noPlugin.stdout)).error.msg, /failed to find plugin "ptp"/);
  const badCaps = await run(bin('cello-cni'), ['exec', 'add', net, '/x'], { env: { ...env, CAP_ARGS: '[1]' } });
  t.equal(badCaps.exitCode, 2, 'usage error');
  t.match(String(badCaps.stderr), /CAP_ARGS must be a JSON object/);
  const noNetns = await run(bin('cello-cni'), ['exec', 'add', net], { env });
  t.equal(noNetns.exitCode, 2);
});
