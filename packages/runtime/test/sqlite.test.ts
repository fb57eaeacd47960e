// The SQLite seam on both sides: the same probe under Node (better-sqlite3)
// and under Bun (bun:sqlite), on one file, each seeing the other's writes and
// locks.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import t from 'tap';
import { run, tempDir } from '@cello/testkit';
import { bunPath } from '../src/bun-path.ts';

const probe = join(import.meta.dirname, 'fixtures', 'probe.ts');
// `node --import tsx`, not the tsx CLI: the CLI runs Node as a child, which a SIGKILL would orphan.
const runtimes = { node: [process.execPath, '--import', 'tsx', probe], bun: [bunPath(), probe] } as const;
type Runtime = keyof typeof runtimes;

async function probeRun(rt: Runtime, ...args: string[]): Promise<Record<string, unknown>> {
  const [cmd, ...pre] = runtimes[rt];
  const r = await run(cmd, [...pre, ...args]);
  if (r.exitCode !== 0) throw new Error(`${rt} probe ${args.join(' ')}: ${String(r.stderr)}`);
  return JSON.parse(String(r.stdout)) as Record<string, unknown>;
}

function dirFor(t: { teardown(fn: () => void): void }): string {
  const d = tempDir('cello-runtime-');
  t.teardown(d.remove);
  return d.path;
}

for (const [first, second] of [
  ['node', 'bun'],
  ['bun', 'node'],
] as const) {
  t.test(`${first} then ${second} on one file: same answers, each sees the other's rows`, async (t) => {
    const dir = dirFor(t);
    const a = await probeRun(first, dir, 'basics');
    const b = await probeRun(second, dir, 'basics');
    const driver = { node: 'better-sqlite3', bun: 'bun:sqlite' };
    for (const [rt, r] of [
      [first, a],
      [second, b],
    ] as const) {
      t.equal(r.driver, driver[rt], `${rt} uses ${driver[rt]}`);
      t.equal(r.journal, 'wal');
      t.equal(r.busy, 2000, 'busy timeout set');
      t.same(r.run, [1, 'number', 1], 'run() gives changes and a numeric rowid');
      t.same(r.kinds, [1, 1, 1, 1], 'immediate, deferred, exclusive and plain transactions');
      t.equal(r.rolledBack, true, 'a throw rolls the transaction back');
      t.same(r.nested, [1, 'outer', 'inner2'], 'a nested transaction is a savepoint: its throw undoes only its own rows');
      t.equal(r.none, true, 'no row is undefined');
      t.same(r.names, ['a', 'b', 'c', 'd', 'e', 'f'], 'named and positional parameters');
    }
    t.equal(a.count, 6);
    t.equal(b.count, 12, `${second} sees ${first}'s rows`);
    const ro = await probeRun(first, dir, 'readonly');
    t.same(ro, { count: 12, wrote: false }, 'read-only opens cannot write');
  });
}

for (const [holder, waiter] of [
  ['node', 'bun'],
  ['bun', 'node'],
  ['node', 'node'],
  ['bun', 'bun'],
] as const) {
  t.test(`${holder} holds the write lock: ${waiter} waits its busy timeout; SIGKILL of the holder loses nothing committed`, async (t) => {
    const dir = dirFor(t);
    await probeRun(holder, dir, 'basics');
    const [cmd, ...pre] = runtimes[holder];
    const child = spawn('/usr/bin/env', ['-u', 'NODE_OPTIONS', cmd, ...pre, dir, 'hold-exclusive'], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.teardown(() => void child.kill('SIGKILL'));
    const [line] = await createInterface({ input: child.stdout })
      [Symbol.asyncIterator]()
      .next()
      .then((r) => [r.value as string]);
    t.same(JSON.parse(line!), { holding: true });
    const busy = await probeRun(waiter, dir, 'write', '100');
    t.equal(busy.ok, false, 'the waiter gives up after its timeout');
    t.match(String(busy.error), /locked|busy/i);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    t.same(await probeRun(waiter, dir, 'write', '2000'), { ok: true }, 'the lock died with its holder');
    const after = await probeRun(waiter, dir, 'readonly');
    t.equal(after.count, 7, "the killed holder's uncommitted row is gone, every committed row is there");
  });
}
