import t from 'tap';
import { CniError, ErrorCode, pluginMain, type PluginHandlers, type Result, versionResult } from '@cello/cni-types';

const calls: string[] = [];
const handlers: PluginHandlers = {
  async ADD(call) {
    calls.push(`add ${call.env.containerId}`);
    return { cniVersion: '1.1.0', ips: [{ address: '10.0.0.2/24', interface: 0 }], interfaces: [{ name: 'eth0', sandbox: call.env.netns }] };
  },
  async DEL() {
    calls.push('del');
  },
  async CHECK() {
    calls.push('check');
    throw new CniError(ErrorCode.Internal, 'eth0 has no address 10.0.0.2/24');
  },
  async GC(call) {
    calls.push(`gc ${JSON.stringify(call.conf.validAttachments)}`);
  },
  async STATUS() {
    throw new CniError(ErrorCode.PluginNotAvailable, 'no free IP and no pool keeper');
  },
  VERSION: versionResult,
};

async function run(env: Record<string, string>, stdin: string) {
  let out = '';
  let err = '';
  const code = await pluginMain(handlers, 'about-line', {
    env,
    readStdin: () => stdin,
    writeStdout: (s) => (out += s),
    writeStderr: (s) => (err += s),
  });
  return { code, out, err, json: out ? (JSON.parse(out) as Record<string, unknown>) : undefined };
}

const add = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_NETNS: '/run/netns/p', CNI_IFNAME: 'eth0', CNI_PATH: '/x' };
const conf = (v: string, extra = {}) => JSON.stringify({ cniVersion: v, name: 'net', type: 'cello-cni', ...extra });

t.test('ADD prints the result in the config version', async (t) => {
  for (const v of ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']) {
    const r = await run(add, conf(v));
    t.equal(r.code, 0, v);
    t.equal(r.json?.cniVersion, v, `${v}: cniVersion`);
    const ip = (r.json?.ips as Result['ips'])?.[0];
    t.equal(ip?.interface, 0, `${v}: interface 0 kept`);
    t.equal('version' in (ip ?? {}), v < '1.0.0', `${v}: ips[].version only below 1.0.0`);
  }
});

t.test('errors print JSON on stdout and exit 1', async (t) => {
  const r = await run({ ...add, CNI_NETNS: '' }, conf('1.0.0'));
  t.equal(r.code, 1);
  t.same(r.json, { cniVersion: '1.0.0', code: 4, msg: 'required env variables [CNI_NETNS] missing' });
  const bad = await run(add, '{nope');
  t.equal(bad.json?.code, 6);
  t.notOk('cniVersion' in (bad.json ?? {}), 'no version known: none printed');
  const empty = await run(add, '');
  t.equal(empty.json?.code, 6, 'empty stdin is a decode error');
  const thrown = await run({ ...add, CNI_COMMAND: 'CHECK' }, conf('1.0.0'));
  t.same(thrown.json, { cniVersion: '1.0.0', code: 999, msg: 'eth0 has no address 10.0.0.2/24' });
});

t.test('CHECK needs 0.4.0+, GC and STATUS 1.1.0+', async (t) => {
  const check = { ...add, CNI_COMMAND: 'CHECK' };
  t.match((await run(check, conf('0.3.1'))).json, { code: 1, msg: /does not allow CHECK/ });
  t.equal((await run(check, conf('0.4.0', { disableCheck: 'true' }))).code, 0, 'disableCheck skips the check');
  const gc = { CNI_COMMAND: 'GC', CNI_PATH: '/x' };
  t.match((await run(gc, conf('1.0.0'))).json, { code: 1, msg: /does not allow GC/ });
  calls.length = 0;
  const ok = await run(gc, conf('1.1.0', { 'cni.dev/valid-attachments': [{ containerID: 'a', ifname: 'eth0' }] }));
  t.equal(ok.code, 0);
  t.equal(ok.out, '', 'GC prints nothing on success');
  t.same(calls, ['gc [{"containerID":"a","ifname":"eth0"}]']);
  t.match((await run({ CNI_COMMAND: 'STATUS' }, conf('1.1.0'))).json, { code: 50, msg: /no free IP/ });
});

t.test('VERSION', async (t) => {
  const r = await run({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"0.4.0"}');
  t.same(r.json, { cniVersion: '0.4.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
  t.equal((await run({ CNI_COMMAND: 'VERSION' }, '')).json?.cniVersion, '1.1.0', 'no input version: the newest');
  t.equal((await run({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"0.1.0"}')).json?.cniVersion, '1.1.0');
});

t.test('no CNI_COMMAND: the about line on stderr, exit 0', async (t) => {
  const r = await run({}, '');
  t.equal(r.code, 0);
  t.equal(r.out, '');
  t.match(r.err, /about-line\nCNI protocol versions supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0/);
});
