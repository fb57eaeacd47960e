// What every command shares: secrets redacted in logs, JSON-or-table output,
// one-line errors with their exit codes, and node locks that the kernel
// releases when their holder dies.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import t, { type Test } from 'tap';
import { tempDir, uniqueName } from '@cello/testkit';
import {
  CommandError,
  createLogger,
  formatTable,
  isLocked,
  nextDelayMs,
  readJsonInput,
  REDACTED,
  readJsonFile,
  redact,
  resolveFormat,
  runMain,
  tryLock,
  UsageError,
  waitLock,
  writeJsonFile,
} from '../src/index.ts';
import { onceOrWatch, runCommandLine } from '../src/yargs.ts';

t.test('redact: secret-looking keys at any depth, nothing else', async (t) => {
  const input = {
    accessKeyId: 'AK',
    credentialAccessKeySecret: 'SK',
    nested: { sessionToken: 'ST', list: [{ Authorization: 'HMAC…' }, { region: 'cn-beijing' }] },
    password: '',
    region: 'cn-beijing',
  };
  t.same(
    redact(input),
    {
      accessKeyId: REDACTED,
      credentialAccessKeySecret: REDACTED,
      nested: { sessionToken: REDACTED, list: [{ Authorization: REDACTED }, { region: 'cn-beijing' }] },
      password: '',
      region: 'cn-beijing',
    },
    'an empty secret stays empty (it says "not set"), everything else is kept',
  );
  t.equal(input.accessKeyId, 'AK', 'the input is not changed');
  t.same(redact({ error: new TypeError('bad MAC') }), { error: { name: 'TypeError', message: 'bad MAC' } }, 'an Error keeps its name and message');
});

t.test('logger: JSON lines with the component and fields, secrets redacted, 0600 file', async (t) => {
  const dir = tempDir();
  t.teardown(() => dir.remove());
  const file = join(dir.path, 'sub', 'x.log');
  const log = createLogger({ component: 'test', file, level: 'info', fields: { traceId: 'abc' } });
  log.debug('hidden below the level');
  log.info('hello', { secretKey: 'SK', n: 1 });
  log.child({ pod: 'default/web-0' }).error('failed', { error: new Error('boom') });
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.equal(lines.length, 2, 'the debug line is not written at level info');
  t.match(lines[0], { level: 'info', component: 'test', traceId: 'abc', msg: 'hello', secretKey: REDACTED, n: 1 });
  t.match(lines[1], { level: 'error', traceId: 'abc', pod: 'default/web-0', error: { name: 'Error', message: 'boom' } });
  t.notMatch(readFileSync(file, 'utf8'), /"SK"/, 'the secret value appears nowhere');
  t.equal(statSync(file).mode & 0o777, 0o600);
});

t.test('output: a table on a TTY, JSON when piped, --output wins', async (t) => {
  t.equal(resolveFormat(undefined, { isTTY: true }), 'table');
  t.equal(resolveFormat(undefined, { isTTY: false }), 'json');
  t.equal(resolveFormat('json', { isTTY: true }), 'json');
  t.equal(resolveFormat('table', { isTTY: false }), 'table');
  const rows = [
    { id: 'eni-1', ips: ['10.0.0.1', '10.0.0.2'], mtu: undefined },
    { id: 'eni-22', ips: [], mtu: 1500 },
  ];
  const cols = [
    { header: 'ENI', value: (r: (typeof rows)[number]) => r.id },
    { header: 'IPS', value: (r: (typeof rows)[number]) => r.ips },
    { header: 'MTU', value: (r: (typeof rows)[number]) => r.mtu },
  ];
  t.equal(
    formatTable(rows, cols),
    'ENI     IPS                MTU\neni-1   10.0.0.1,10.0.0.2  -\neni-22  -                  1500\n',
    'aligned; empty cells are -',
  );
});

/** Run `fn` with stderr captured and process.exitCode restored; returns what it wrote and the exit code it set. */
async function captured(fn: () => Promise<void>): Promise<{ stderr: string; exitCode: number | string | undefined }> {
  const writes: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((s: string) => {
    writes.push(s);
    return true;
  }) as typeof process.stderr.write;
  const saved = process.exitCode;
  try {
    await fn();
    return { stderr: writes.join(''), exitCode: process.exitCode };
  } finally {
    process.stderr.write = write;
    process.exitCode = saved;
  }
}

t.test('runMain: one line naming the command, exit 2 for usage, 1 or its own code otherwise', async (t) => {
  t.same(
    await captured(() =>
      runMain('cello-x', async () => {
        throw new UsageError('--keep is required');
      }),
    ),
    { stderr: 'cello-x: --keep is required\n', exitCode: 2 },
  );
  t.same(
    await captured(() =>
      runMain('cello-x', async () => {
        throw new Error('disk full');
      }),
    ),
    { stderr: 'cello-x: disk full\n', exitCode: 1 },
    'no stack trace',
  );
  t.same(
    await captured(() =>
      runMain('cello-x', async () => {
        throw new CommandError('try later', 3);
      }),
    ),
    { stderr: 'cello-x: try later\n', exitCode: 3 },
  );
  t.same(await captured(() => runMain('cello-x', async () => 4)), { stderr: '', exitCode: 4 }, 'what main returns is the exit code');
  class ConfigError extends UsageError {}
  t.same(
    await captured(() =>
      runMain('cello-x', async () => {
        throw new ConfigError('/etc/cello/conf: poolTarget: must be ≥ 0');
      }),
    ),
    { stderr: 'cello-x: /etc/cello/conf: poolTarget: must be ≥ 0\n', exitCode: 2 },
    'a kind of UsageError is bad input too',
  );
});

t.test('runCommandLine: a handler returns its exit code, nested commands too; yargs mistakes exit 2', async (t) => {
  const run = (argv: string[]) =>
    captured(() =>
      runCommandLine('cello-x', argv, 'usage', (cli) =>
        cli
          .command(
            'check',
            'exit 1 with --bad',
            (y) => y.option('bad', { type: 'boolean', default: false }),
            (a) => (a.bad ? 1 : 0),
          )
          .command('fault', 'nested', (y) =>
            y
              .command(
                'add',
                'returns 3',
                () => {},
                async () => 3,
              )
              .demandCommand(1),
          )
          .command(
            'quiet',
            'returns nothing',
            () => {},
            () => {},
          ),
      ),
    );
  t.same(await run(['check', '--bad']), { stderr: '', exitCode: 1 });
  t.same(await run(['check']), { stderr: '', exitCode: 0 });
  t.same(await run(['fault', 'add']), { stderr: '', exitCode: 3 }, "a nested command's handler too");
  t.same(await run(['quiet']), { stderr: '', exitCode: 0 }, 'nothing returned: 0');
  const bad = await run(['check', '--nope']);
  t.equal(bad.exitCode, 2, 'an unknown flag is a usage error');
  t.match(bad.stderr, /^cello-x: Unknown argument: nope\n$/, 'on one line');
});

t.test('onceOrWatch: never both; one of them unless --once is the default', async (t) => {
  const run = (argv: string[], onceByDefault: boolean) =>
    captured(() =>
      runCommandLine('cello-x', argv, 'usage', (cli) =>
        cli.command(
          'pool',
          'p',
          (y) => onceOrWatch(y, { once: 'once', watch: 'watch', onceByDefault }),
          (a) => (a.watch ? 5 : 4),
        ),
      ),
    );
  t.same(await run(['pool', '--once', '--watch'], true), { stderr: 'cello-x: --once and --watch: choose one\n', exitCode: 2 });
  t.same(await run(['pool'], false), { stderr: 'cello-x: give exactly one of --once or --watch\n', exitCode: 2 });
  t.same(await run(['pool'], true), { stderr: '', exitCode: 4 }, '--once by default');
  t.same(await run(['pool', '--watch'], false), { stderr: '', exitCode: 5 });
});

t.test('watch: the wait between runs is the interval ±20 % (jitter)', async (t) => {
  t.equal(
    nextDelayMs(10, 0.2, () => 0),
    8000,
  );
  t.equal(
    nextDelayMs(10, 0.2, () => 1),
    12000,
  );
  t.equal(
    nextDelayMs(10, 0.2, () => 0.5),
    10000,
  );
});

t.test('state files: JSON written whole (0600 unless told), read back, missing or damaged reads as undefined', async (t) => {
  const dir = tempDir();
  t.teardown(() => dir.remove());
  const file = join(dir.path, 'sub', 'state.json');
  t.equal(readJsonFile(file), undefined, 'missing');
  t.equal(writeJsonFile(file, { a: 1 }), true, 'written');
  t.same(readJsonFile(file), { a: 1 });
  t.equal(statSync(file).mode & 0o777, 0o600);
  t.equal(writeJsonFile(file, { a: 1 }), false, 'the same content is not written again');
  t.same(readdirSync(join(dir.path, 'sub')), ['state.json'], 'no temporary file left');
  writeJsonFile(join(dir.path, 'open.json'), [], 0o644);
  t.equal(statSync(join(dir.path, 'open.json')).mode & 0o777, 0o644, 'a mode when asked');
  writeFileSync(file, '{"a":');
  t.equal(readJsonFile(file), undefined, 'damaged');
});

t.test('readJsonInput: a file argument; a missing file or text that is not JSON is bad input naming it', async (t) => {
  const dir = tempDir();
  t.teardown(() => dir.remove());
  const good = join(dir.path, 'good.json');
  writeFileSync(good, '{"enis": []}');
  t.same(await readJsonInput(good, 'import document'), { enis: [] });
  const missing = join(dir.path, 'missing.json');
  await t.rejects(readJsonInput(missing, 'import document'), new UsageError(`cannot read import document ${missing}: no such file`));
  const bad = join(dir.path, 'bad.json');
  writeFileSync(bad, '{"enis":');
  await t.rejects(readJsonInput(bad, '--config'), { name: 'UsageError', message: /^--config \(.*bad\.json\) is not valid JSON: / }, 'names the file');
});

/** Start a process that takes a lock through cli-kit (as `uid`, when given) and resolves with what it said. */
async function lockHolder(t: Test, stateDir: string, name: string, uid?: number) {
  const script = join(import.meta.dirname, 'fixtures', 'lock-holder.ts');
  const node = [process.execPath, '--import', 'tsx', script, stateDir, name];
  const argv = uid === undefined ? node : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', ...node];
  const holder = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' }, cwd: process.cwd() });
  t.teardown(() => holder.kill('SIGKILL'));
  const said = await new Promise<string>((resolve) => createInterface({ input: holder.stdout! }).once('line', resolve));
  return { said, holder };
}

t.test('node locks: exclusive, released by release() and by the death of the holder', async (t) => {
  const dir = tempDir('cello-lock-');
  t.teardown(() => dir.remove());
  const name = `pod/default/${uniqueName('lk')}`;
  const lock = await tryLock(dir.path, name);
  t.ok(lock, 'taken');
  t.equal(await tryLock(dir.path, name), undefined, 'a second taker is refused');
  t.equal(await isLocked(dir.path, name), true, 'isLocked sees it');
  t.equal(await waitLock(dir.path, name, 50), undefined, 'waitLock gives up while it stays taken');
  t.equal(await isLocked(dir.path, 'pod/default/other'), false, 'another name is another lock');
  lock!.release();
  t.equal(await isLocked(dir.path, name), false, 'released');
  const again = await waitLock(dir.path, name, 1000);
  t.ok(again, 'and free to take again');
  again!.release();

  const { said, holder } = await lockHolder(t, dir.path, name);
  t.equal(said, 'held', 'another process takes it');
  t.equal(await isLocked(dir.path, name), true, 'held by the other process');
  t.equal(await tryLock(dir.path, name), undefined, 'and not to be had here');
  holder.kill('SIGKILL');
  await new Promise((resolve) => holder.once('exit', resolve));
  t.equal(await isLocked(dir.path, name), false, 'the kernel released it when the holder died');
});

t.test('node locks: only root can take one (the files are 0600 in a 0700 directory)', async (t) => {
  const dir = tempDir('cello-lock-');
  t.teardown(() => dir.remove());
  chmodSync(dir.path, 0o755); // a state dir others may look into: the locks directory still is not theirs
  const name = 'keeper';
  (await tryLock(dir.path, name))!.release();
  t.equal(statSync(join(dir.path, 'locks')).mode & 0o777, 0o700, 'locks/ is 0700');
  const [file] = readdirSync(join(dir.path, 'locks'));
  t.equal(statSync(join(dir.path, 'locks', file!)).mode & 0o777, 0o600, 'a lock file is 0600');

  const { said } = await lockHolder(t, dir.path, name, 65534);
  t.match(said, /^refused: /, `uid 65534 cannot take it through cli-kit (${said})`);
  const open = spawnSync(
    'setpriv',
    [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      process.execPath,
      '-e',
      `require('fs').openSync(${JSON.stringify(join(dir.path, 'locks', file!))}, 'r+')`,
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    },
  );
  t.match(open.stderr, /EACCES/, 'nor open the lock file to lock it some other way');
  const lock = await tryLock(dir.path, name);
  t.ok(lock, 'root takes it while the unprivileged process runs');
  lock?.release();
});
