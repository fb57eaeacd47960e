// Installing cello-cni on a host: a runtime that needs no Node and no
// library from the host, files that appear whole (a SIGKILL at any moment
// of an install leaves the old state or the new one, and the next install
// cleans up), the conflist rules, and the CLI's answers to bad input.
import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { bin, must, repoRoot, run, tempDir } from '@cello/testkit';
import { installConflist } from '../src/install/cni.ts';

const agent = bin('cello-agent');

/** Run an installed wrapper as a runtime would, with nothing in the environment but what is given. */
function runWrapper(wrapper: string, env: Record<string, string>, stdin: string) {
  return run(wrapper, [], { env, extendEnv: false, input: stdin });
}

function install(dir: string, extra: string[] = [], agentPath = agent) {
  return run(process.execPath, [agentPath, 'install', '--cni-bin-dir', join(dir, 'bin'), '--runtime-dir', join(dir, 'opt'), '--output', 'json', ...extra]);
}

t.test('the installed cello-cni runs with an empty environment and loads no library from the host', async (t) => {
  const dir = tempDir('cello-agent-install-');
  t.teardown(() => dir.remove());
  const r = await install(dir.path);
  t.equal(r.exitCode, 0, String(r.stderr));
  const out = JSON.parse(String(r.stdout));
  t.match(out, { changed: true, wrapper: join(dir.path, 'bin', 'cello-cni') });

  const version = await runWrapper(out.wrapper, { CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}');
  t.equal(version.exitCode, 0, String(version.stderr));
  t.ok(JSON.parse(String(version.stdout)).supportedVersions.includes('1.1.0'), 'answers VERSION with no PATH at all');

  // STATUS opens the SQLite store: the native addon loads too.
  const state = join(dir.path, 'state');
  await must(bin('cello-ipam'), ['settings', '--state-dir', state, 'datapath=veth']);
  const status = await runWrapper(out.wrapper, { CNI_COMMAND: 'STATUS', LD_DEBUG: 'libs' }, JSON.stringify({ cniVersion: '1.1.0', name: 'cello', type: 'cello-cni', stateDir: state }));
  t.match(JSON.parse(String(status.stdout)), { code: 50, msg: /no free IP/ }, 'STATUS read the store through better-sqlite3');
  const inits = [...String(status.stderr).matchAll(/calling init: (\S+)/g)].map((m) => m[1]!);
  const loaderAt = inits.findIndex((p) => p.startsWith(out.runtime.dir));
  t.ok(loaderAt > 0, 'Node starts through the runtime’s own loader (after /bin/sh)');
  const nodeLibs = inits.slice(loaderAt);
  t.ok(nodeLibs.some((p) => p.endsWith('libstdc++.so.6')), 'libstdc++ is among them');
  t.ok(nodeLibs.some((p) => p.endsWith('better_sqlite3.node')), 'the SQLite addon is among them');
  t.same(nodeLibs.filter((p) => !p.startsWith(out.runtime.dir)), [], 'every library Node loads comes from the runtime directory');

  const again = await install(dir.path);
  t.equal(JSON.parse(String(again.stdout)).changed, false, 'a second install changes nothing');
});

t.test('a SIGKILL at any moment of an install leaves a working cello-cni or none, and the next install repairs', async (t) => {
  const dir = tempDir('cello-agent-crash-');
  t.teardown(() => dir.remove());
  // A source tree of our own, so each round installs a new version (a changed bundle) and copies everything.
  const src = join(dir.path, 'src');
  mkdirSync(join(src, 'bin'), { recursive: true });
  for (const f of ['cello-agent', 'cello-cni', 'package.json']) copyFileSync(join(repoRoot, 'bin', f), join(src, 'bin', f));
  symlinkSync(join(repoRoot, 'node_modules'), join(src, 'node_modules'));
  const target = join(dir.path, 'host');
  const wrapper = join(target, 'bin', 'cello-cni');
  const rounds = 12;
  let killed = 0;

  for (let i = 0; i < rounds; i++) {
    appendFileSync(join(src, 'bin', 'cello-cni'), `\n// round ${i}\n`);
    const child = spawn(process.execPath, [join(src, 'bin', 'cello-agent'), 'install', '--cni-bin-dir', join(target, 'bin'), '--runtime-dir', join(target, 'opt')], {
      stdio: 'ignore',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const exited = new Promise((r) => child.on('exit', r));
    setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 900));
    if ((await exited) === null) killed++;

    if (!existsSync(wrapper)) continue; // nothing installed yet: fine
    const text = readFileSync(wrapper, 'utf8');
    t.match(text, /^#!\/bin\/sh\n[\s\S]*exec '.*' "\$@"\n$/, `round ${i}: the wrapper is whole`);
    const v = await runWrapper(wrapper, { CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}');
    if (v.exitCode !== 0) t.fail(`round ${i}: the installed cello-cni does not run: ${String(v.stderr)}`);
    const strays = readdirSync(join(target, 'bin')).filter((n) => n !== 'cello-cni' && !n.startsWith('.cello-tmp-'));
    t.same(strays, [], `round ${i}: nothing but cello-cni (and temporary files) in the bin directory`);
  }
  t.ok(killed > 0, `${killed} of ${rounds} installs were killed mid-way`);

  const r = await run(process.execPath, [join(src, 'bin', 'cello-agent'), 'install', '--cni-bin-dir', join(target, 'bin'), '--runtime-dir', join(target, 'opt'), '--output', 'json']);
  t.equal(r.exitCode, 0, String(r.stderr));
  const leftovers = [...readdirSync(join(target, 'bin')), ...readdirSync(join(target, 'opt'))].filter((n) => n.startsWith('.cello-tmp-'));
  t.same(leftovers, [], 'the next install removed what the killed ones left');
  t.ok(readdirSync(join(target, 'opt')).length <= 2, 'at most the current and the previous runtime are kept');
  const v = await runWrapper(wrapper, { CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}');
  t.equal(v.exitCode, 0, 'the final cello-cni runs');
});

t.test('conflists: only Cello’s, installed whole, a switch of variant removes the other', async (t) => {
  const dir = tempDir('cello-agent-conf-');
  t.teardown(() => dir.remove());
  const netd = join(dir.path, 'net.d');
  mkdirSync(netd);
  writeFileSync(join(netd, '05-other.conflist'), '{"name":"other","plugins":[{"type":"bridge"}]}');
  const shipped = (name: string) => join(repoRoot, 'manifests', 'cni', name);

  const a = installConflist({ cniConfDir: netd, source: shipped('10-cello-chained.conflist') });
  t.same({ changed: a.changed, removed: a.removed }, { changed: true, removed: [] });
  const b = installConflist({ cniConfDir: netd, source: shipped('10-cello.conflist') });
  t.same(b.removed, ['10-cello-chained.conflist'], 'the other Cello variant is removed');
  t.same(readdirSync(netd).sort(), ['05-other.conflist', '10-cello.conflist'], 'a foreign conflist is left alone');
  t.equal(readFileSync(join(netd, '10-cello.conflist'), 'utf8'), readFileSync(shipped('10-cello.conflist'), 'utf8'));
  t.equal(installConflist({ cniConfDir: netd, source: shipped('10-cello.conflist') }).changed, false, 'identical content is not rewritten');

  writeFileSync(join(dir.path, '10-cello-bad.conflist'), '{"plugins":[{"type":"bridge"}]}');
  t.throws(() => installConflist({ cniConfDir: netd, source: join(dir.path, '10-cello-bad.conflist') }), /not a Cello conflist/);
  writeFileSync(join(dir.path, 'mine.conflist'), readFileSync(shipped('10-cello.conflist')));
  t.throws(() => installConflist({ cniConfDir: netd, source: join(dir.path, 'mine.conflist') }), /NN-cello/);
});

t.test('bad input: one line naming the problem, exit 2 for usage and 1 for failure', async (t) => {
  const dir = tempDir('cello-agent-bad-');
  t.teardown(() => dir.remove());
  const away = ['--cni-bin-dir', join(dir.path, 'bin'), '--runtime-dir', join(dir.path, 'opt')]; // never the host's directories
  const cases: Array<[string[], number, RegExp]> = [
    [['run', '--listen', 'nowhere'], 2, /^cello-agent: --listen: expected \[host\]:port/],
    [['run', '--grace', '0'], 2, /--grace must be > 0/],
    [['config-sync'], 2, /exactly one of --once or --watch/],
    [['install', '--conflist', join(dir.path, '10-cello.conflist'), ...away], 1, /^cello-agent: cannot read the conflist .*10-cello\.conflist/],
    [['status', '--run-dir', '/nonexistent'], 1, /^cello-agent: no agent state in \/nonexistent/],
    [['frobnicate'], 2, /^cello-agent: /],
  ];
  for (const [args, code, message] of cases) {
    const r = await run(process.execPath, [agent, ...args]);
    t.equal(r.exitCode, code, `${args.join(' ')} exits ${code}`);
    const lines = String(r.stderr).trim().split('\n').filter((l) => !l.startsWith('{'));
    t.equal(lines.length, 1, `${args.join(' ')}: one line`);
    t.match(lines[0], message);
  }
  t.notOk(existsSync(join(dir.path, 'opt')), 'a refused install touched nothing');
});

t.test('`cello-agent config` never prints a secret', async (t) => {
  const dir = tempDir('cello-agent-cfg-');
  t.teardown(() => dir.remove());
  const conf = join(dir.path, 'conf');
  writeFileSync(conf, JSON.stringify({ subnets: ['subnet-a'], securityGroups: ['sg-a'], credentialAccessKeyId: 'AKLTexampleid0001', credentialAccessKeySecret: 'c2VjcmV0LXZhbHVlLTEyMw==' }));
  for (const output of ['json', 'table']) {
    const r = await run(process.execPath, [agent, 'config', '--config', conf, '--node-config', join(dir.path, 'none'), '--output', output]);
    t.equal(r.exitCode, 0, String(r.stderr));
    t.notMatch(String(r.stdout) + String(r.stderr), /AKLTexampleid0001|c2VjcmV0LXZhbHVlLTEyMw/, `no secret in the ${output} output`);
    t.match(String(r.stdout), /\*\*\*/, 'shown as ***');
  }
});
