// The real bin/cello-cni, invoked as a runtime would: every malformed input
// gets the right CNI error code on stdout, a message naming the field, exit 1.
import { join } from 'node:path';
import t from 'tap';
import Database from 'better-sqlite3';
import { bin, createNetns, must, run, tempDir } from '@cello/testkit';
import { SUPPORTED_VERSIONS } from '@cello/cni-types';

const cni = bin('cello-cni');
const env = {
  CNI_COMMAND: 'ADD',
  CNI_CONTAINERID: 'abc123',
  CNI_NETNS: '/var/run/netns/cello-entrypoint-test-missing',
  CNI_IFNAME: 'eth0',
  CNI_PATH: '/opt/cni/bin',
  CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p',
};
const conf = (v: string, extra: Record<string, unknown> = {}) => JSON.stringify({ cniVersion: v, name: 'cello', type: 'cello-cni', ...extra });

async function invoke(e: Record<string, string>, stdin: string) {
  const r = await run(cni, [], { env: { PATH: process.env.PATH ?? '', ...e }, extendEnv: false, input: stdin });
  return { code: r.exitCode, out: String(r.stdout), err: String(r.stderr) };
}

t.test('bad inputs, every spec version', async (t) => {
  for (const v of SUPPORTED_VERSIONS) {
    const cases: Array<[string, Record<string, string>, string, number, RegExp]> = [
      ['malformed JSON', env, `{"cniVersion":"${v}`, 6, /decode/],
      ['missing CNI_CONTAINERID', { ...env, CNI_CONTAINERID: '' }, conf(v), 4, /CNI_CONTAINERID/],
      ['missing CNI_NETNS', { ...env, CNI_NETNS: '' }, conf(v), 4, /CNI_NETNS/],
      ['bad network name', env, conf(v, { name: 'bad name' }), 7, /network name/],
      ['ifname over 15 characters', { ...env, CNI_IFNAME: 'eth0123456789012' }, conf(v), 4, /CNI_IFNAME.*too long/],
      ['unknown CNI_ARGS key', { ...env, CNI_ARGS: 'FOO=bar' }, conf(v), 4, /FOO/],
      ['unknown capability', env, conf(v, { capabilities: { portMappings: true } }), 2, /portMappings/],
      ['unknown runtimeConfig key', env, conf(v, { runtimeConfig: { ips: ['10.0.0.1'] } }), 2, /runtimeConfig.ips/],
      ['bad datapath', env, conf(v, { datapath: 'overlay' }), 7, /"datapath"/],
      ['bandwidth rate without burst', env, conf(v, { runtimeConfig: { bandwidth: { ingressRate: 1000 } } }), 7, /ingressRate and ingressBurst/],
      [
        'bandwidth rate cello-link cannot shape',
        env,
        conf(v, { runtimeConfig: { bandwidth: { egressRate: 4, egressBurst: 1000 } } }),
        7,
        /runtimeConfig.bandwidth.egressRate: must be at least 8 bit\/s/,
      ],
      ['prevResult in another version', env, conf(v, { prevResult: { cniVersion: v === '1.0.0' ? '0.4.0' : '1.0.0' } }), 1, /prevResult/],
    ];
    for (const [name, e, stdin, code, msg] of cases) {
      const r = await invoke(e, stdin);
      t.equal(r.code, 1, `${v} ${name}: exit 1`);
      const json = JSON.parse(r.out) as { code: number; msg: string; cniVersion?: string };
      t.equal(json.code, code, `${v} ${name}: code ${code}`);
      t.match(json.msg, msg, `${v} ${name}: message names the field`);
      t.notMatch(r.err, /\n\s+at /, `${v} ${name}: no stack trace`);
    }
  }
});

t.test('a store record cello-link refuses is code 7 naming the field, not 999, and the ADD releases its IP', async (t) => {
  const dir = tempDir('cello-cni-record-');
  const pod = await createNetns('rec');
  t.teardown(async () => {
    await pod.remove();
    dir.remove();
  });
  const stateDir = join(dir.path, 'state');
  const eni = { id: 'eni-rec', mac: '02:77:00:00:ee:01', mode: 'shared', subnetId: 'subnet-rec', subnetCidr: '10.78.0.0/24', gateway: '10.78.0.1' };
  await must(bin('cello-ipam'), ['import', '--state-dir', stateDir], {
    input: JSON.stringify({ enis: [{ ...eni, primaryIp: '10.78.0.20', ips: ['10.78.0.20'] }] }),
  });
  // A device name no importer accepts (it would be syntax to `ip -batch`): a store written by hand, or by another version.
  const db = new Database(join(stateDir, 'ipam.db'));
  db.prepare('UPDATE enis SET device = ?').run('eth1 #x');
  db.close();
  const stdin = conf('1.0.0', { stateDir, logFile: join(dir.path, 'cni.log'), datapath: 'veth' });
  const r = await invoke({ ...env, CNI_NETNS: pod.path }, stdin);
  t.equal(r.code, 1);
  t.match(JSON.parse(r.out), { code: 7, msg: /^allocation\.eni\.device: .*"eth1 #x"/ }, 'code 7, naming the field');
  const held = await must(bin('cello-ipam'), ['list', 'allocations', '--state-dir', stateDir, '-o', 'json']);
  t.same(JSON.parse(String(held.stdout)), [], 'the ADD released the IP it allocated');
  t.equal((await pod.exec('ip', ['link', 'show', 'eth0'])).exitCode, 1, 'nothing made in the pod');
});

t.test('unsupported versions get code 1 naming the version', async (t) => {
  for (const v of ['0.1.0', '0.2.0', '1.2.0', '']) {
    const r = await invoke(env, conf(v));
    const json = JSON.parse(r.out) as { code: number; msg: string };
    t.equal(json.code, 1, `"${v}"`);
    t.match(json.msg, /cniVersion/);
  }
});

t.test('VERSION answers with the supported versions', async (t) => {
  const r = await invoke({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}');
  t.equal(r.code, 0);
  t.same(JSON.parse(r.out), { cniVersion: '1.0.0', supportedVersions: [...SUPPORTED_VERSIONS] });
  t.equal(r.err, '', 'nothing on stderr');
});

t.test('missing variable on VERSION-less verbs is code 4; unknown verb too', async (t) => {
  const r = await invoke({ ...env, CNI_COMMAND: 'FROB' }, conf('1.0.0'));
  t.match(JSON.parse(r.out), { code: 4, msg: /unknown CNI_COMMAND: FROB/ });
});

t.test('operator CLI: --help answers, a bad command exits 2 with one line', async (t) => {
  const help = await run(cni, ['--help']);
  t.equal(help.exitCode, 0);
  t.match(String(help.stdout), /CNI_COMMAND/);
  const bad = await run(cni, ['frobnicate']);
  t.equal(bad.exitCode, 2);
  t.equal(String(bad.stderr).trim().split('\n').length, 1, 'one line');
});
