// Installing cello-cni on a host: one executable that needs no Node and no
// library from the host but glibc, files that appear whole (a SIGKILL at any moment
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

t.test('the installed cello-cni is one file that runs with an empty environment and loads nothing from the host but glibc', async (t) => {
  const dir = tempDir('cello-agent-install-');
  t.teardown(() => dir.remove());
  const r = await install(dir.path);
  t.equal(r.exitCode, 0, String(r.stderr));
  const out = JSON.parse(String(r.stdout));
  t.match(out, { changed: true, binary: join(dir.path, 'bin', 'cello-cni'), version: /^v[0-9a-f]{12}$/ });
  t.same(readdirSync(join(dir.path, 'bin')), ['cello-cni'], 'one file in the CNI bin directory');
  t.ok(readFileSync(out.binary).equals(readFileSync(bin('cello-cni'))), 'a copy of the image’s bin/cello-cni');
  t.notOk(existsSync(join(dir.path, 'opt')), 'nothing under the runtime directory');

  const version = await runWrapper(out.binary, { CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}');
  t.equal(version.exitCode, 0, String(version.stderr));
  t.ok(JSON.parse(String(version.stdout)).supportedVersions.includes('1.1.0'), 'answers VERSION with no PATH at all');

  // STATUS opens the SQLite store (bun:sqlite, inside the binary).
  const state = join(dir.path, 'state');
  await must(bin('cello-ipam'), ['settings', '--state-dir', state, 'datapath=veth']);
  const status = await runWrapper(
    out.binary,
    { CNI_COMMAND: 'STATUS', LD_DEBUG: 'libs' },
    JSON.stringify({ cniVersion: '1.1.0', name: 'cello', type: 'cello-cni', stateDir: state }),
  );
  t.match(JSON.parse(String(status.stdout)), { code: 50, msg: /no free IP/ }, 'STATUS read the store');
  const inits = [...String(status.stderr).matchAll(/calling init: (\S+)/g)].map((m) => m[1]!);
  t.ok(inits.length > 0, 'the loader reported what it loaded');
  const glibc = /\/(ld-linux-x86-64\.so\.2|libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1)$/;
  t.same(
    inits.filter((p) => !glibc.test(p)),
    [],
    'every library it loads is part of glibc (no libstdc++, no SQLite addon)',
  );

  const again = await install(dir.path);
  t.equal(JSON.parse(String(again.stdout)).changed, false, 'a second install changes nothing');
});

t.test('an older Cello’s runtime directories are removed, but the one its wrapper named survives one more start', async (t) => {
  const dir = tempDir('cello-agent-legacy-');
  t.teardown(() => dir.remove());
  const opt = join(dir.path, 'opt');
  for (const v of ['v0123456789ab', 'vba9876543210']) mkdirSync(join(opt, v, 'lib'), { recursive: true });
  mkdirSync(join(dir.path, 'bin'));
  writeFileSync(
    join(dir.path, 'bin', 'cello-cni'),
    `#!/bin/sh\nexec '${opt}/vba9876543210/lib/ld-linux-x86-64.so.2' --library-path '${opt}/vba9876543210/lib' '${opt}/vba9876543210/node' '${opt}/vba9876543210/cello-cni' "$@"\n`,
    { mode: 0o755 },
  );
  const first = JSON.parse(String((await install(dir.path)).stdout));
  t.same(first.pruned, ['v0123456789ab'], 'the old runtime nothing points at is gone');
  t.same(readdirSync(opt), ['vba9876543210'], 'the one the replaced wrapper ran is kept');
  t.same(JSON.parse(String((await install(dir.path)).stdout)).pruned, ['vba9876543210'], 'and removed on the next start');
});

t.test('a SIGKILL at any moment of an install leaves a working cello-cni or none, and the next install repairs', async (t) => {
  const dir = tempDir('cello-agent-crash-');
  t.teardown(() => dir.remove());
  // A source tree of our own, so each round installs a new version (bytes appended to the binary, which it ignores).
  const src = join(dir.path, 'src');
  mkdirSync(join(src, 'bin'), { recursive: true });
  for (const f of ['cello-agent', 'cello-cni', 'package.json']) copyFileSync(join(repoRoot, 'bin', f), join(src, 'bin', f));
  symlinkSync(join(repoRoot, 'node_modules'), join(src, 'node_modules'));
  const target = join(dir.path, 'host');
  const installed = join(target, 'bin', 'cello-cni');
  const rounds = 12;
  let killed = 0;
  const versions = new Set<string>();

  for (let i = 0; i < rounds; i++) {
    appendFileSync(join(src, 'bin', 'cello-cni'), `\n// round ${i}\n`);
    const child = spawn(
      process.execPath,
      [join(src, 'bin', 'cello-agent'), 'install', '--cni-bin-dir', join(target, 'bin'), '--runtime-dir', join(target, 'opt')],
      {
        stdio: 'ignore',
        env: { ...process.env, NODE_OPTIONS: '' },
      },
    );
    const exited = new Promise((r) => child.on('exit', r));
    setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 2500));
    if ((await exited) === null) killed++;

    if (!existsSync(installed)) continue; // nothing installed yet: fine
    const tail = readFileSync(installed).subarray(-12).toString();
    t.match(tail, /\/\/ round \d+\n$/, `round ${i}: the installed binary is a whole copy of one of the rounds`);
    versions.add(tail);
    const v = await runWrapper(installed, { CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}');
    if (v.exitCode !== 0) t.fail(`round ${i}: the installed cello-cni does not run: ${String(v.stderr)}`);
    const strays = readdirSync(join(target, 'bin')).filter((n) => n !== 'cello-cni' && !n.startsWith('.cello-tmp-'));
    t.same(strays, [], `round ${i}: nothing but cello-cni (and temporary files) in the bin directory`);
  }
  t.ok(killed > 0, `${killed} of ${rounds} installs were killed mid-way`);

  const r = await run(process.execPath, [
    join(src, 'bin', 'cello-agent'),
    'install',
    '--cni-bin-dir',
    join(target, 'bin'),
    '--runtime-dir',
    join(target, 'opt'),
    '--output',
    'json',
  ]);
  t.equal(r.exitCode, 0, String(r.stderr));
  const leftovers = readdirSync(join(target, 'bin')).filter((n) => n.startsWith('.cello-tmp-'));
  t.same(leftovers, [], 'the next install removed what the killed ones left');
  t.ok(readFileSync(installed).equals(readFileSync(join(src, 'bin', 'cello-cni'))), 'the final install is the last round’s binary');
  const v = await runWrapper(installed, { CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}');
  t.equal(v.exitCode, 0, 'the final cello-cni runs');
});

t.test('a call already running finishes on the binary it started from while a new one is installed', async (t) => {
  const dir = tempDir('cello-agent-inflight-');
  t.teardown(() => dir.remove());
  t.equal((await install(dir.path)).exitCode, 0);
  const installed = join(dir.path, 'bin', 'cello-cni');
  // A call that is still running: the plugin waits on its stdin, which we hold open.
  const child = spawn(installed, [], { env: { CNI_COMMAND: 'VERSION' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += d));
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  // A new version arrives (a different file) and is renamed over the running one.
  const src = join(dir.path, 'src');
  mkdirSync(join(src, 'bin'), { recursive: true });
  for (const f of ['cello-agent', 'cello-cni', 'package.json']) copyFileSync(join(repoRoot, 'bin', f), join(src, 'bin', f));
  symlinkSync(join(repoRoot, 'node_modules'), join(src, 'node_modules'));
  appendFileSync(join(src, 'bin', 'cello-cni'), '\n// next\n');
  const r = await run(process.execPath, [
    join(src, 'bin', 'cello-agent'),
    'install',
    '--cni-bin-dir',
    join(dir.path, 'bin'),
    '--runtime-dir',
    join(dir.path, 'opt'),
    '--output',
    'json',
  ]);
  t.equal(JSON.parse(String(r.stdout)).changed, true, 'the new binary is installed (no "text file busy")');
  child.stdin!.end('{"cniVersion":"1.0.0"}');
  t.equal(await exited, 0, 'the running call finished');
  t.ok(JSON.parse(stdout).supportedVersions.includes('1.1.0'), 'and answered');
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
    const lines = String(r.stderr)
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('{'));
    t.equal(lines.length, 1, `${args.join(' ')}: one line`);
    t.match(lines[0], message);
  }
  t.notOk(existsSync(join(dir.path, 'opt')), 'a refused install touched nothing');
});

t.test('`cello-agent config` never prints a secret', async (t) => {
  const dir = tempDir('cello-agent-cfg-');
  t.teardown(() => dir.remove());
  const conf = join(dir.path, 'conf');
  writeFileSync(
    conf,
    JSON.stringify({
      subnets: ['subnet-a'],
      securityGroups: ['sg-a'],
      credentialAccessKeyId: 'AKLTexampleid0001',
      credentialAccessKeySecret: 'c2VjcmV0LXZhbHVlLTEyMw==',
    }),
  );
  for (const output of ['json', 'table']) {
    const r = await run(process.execPath, [agent, 'config', '--config', conf, '--node-config', join(dir.path, 'none'), '--output', output]);
    t.equal(r.exitCode, 0, String(r.stderr));
    t.notMatch(String(r.stdout) + String(r.stderr), /AKLTexampleid0001|c2VjcmV0LXZhbHVlLTEyMw/, `no secret in the ${output} output`);
    t.match(String(r.stdout), /\*\*\*/, 'shown as ***');
  }
});
