// The keeper's idle wait: a change in a watched directory ends it at once, a
// deadline ends it otherwise, a stop signal rejects it, and a burst of
// changes ends one wait, not one per file.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@cello/testkit';
import { Wakeup } from '../src/util/wakeup.ts';

/** A temporary directory and a Wakeup on it, both gone when the test ends. */
function watching(t: Test) {
  const dir = tempDir('cello-wakeup-');
  const w = new Wakeup([dir.path]);
  t.teardown(() => {
    w.close();
    dir.remove();
  });
  return { dir, w };
}

t.test('a write in a watched directory ends the wait long before its deadline', async (t) => {
  const { dir, w } = watching(t);
  t.equal(w.watched, 1, 'the directory is watched');
  const t0 = performance.now();
  setTimeout(() => writeFileSync(join(dir.path, 'ipam.db-wal'), 'x'), 50);
  await w.wait(30_000, 30_000);
  t.ok(performance.now() - t0 < 10_000, 'woken by the write, not the 30 s deadline');
});

t.test('with nothing written the wait ends at the deadline, and at the fallback when that is sooner', async (t) => {
  const { w } = watching(t);
  let t0 = performance.now();
  await w.wait(150, 60_000);
  t.ok(performance.now() - t0 >= 140, 'the deadline');
  t0 = performance.now();
  await w.wait(60_000, 150);
  t.ok(performance.now() - t0 >= 140, 'the fallback');
});

t.test('a burst of writes ends one wait; the next waits again', async (t) => {
  const { dir, w } = watching(t);
  const waiting = w.wait(30_000, 30_000);
  for (const f of ['ipam.db', 'ipam.db-wal', 'ipam.db-shm']) writeFileSync(join(dir.path, f), 'x');
  await waiting;
  const t0 = performance.now();
  await w.wait(300, 30_000);
  t.ok(performance.now() - t0 >= 250, 'the burst was spent on the first wait');
});

t.test('a change before the wait starts is not lost', async (t) => {
  const { w } = watching(t);
  w.poke();
  const t0 = performance.now();
  await w.wait(30_000, 30_000);
  t.ok(performance.now() - t0 < 10_000, 'returns at once');
});

t.test('a stop signal rejects the wait; a directory that does not exist is left to the fallback', async (t) => {
  const w = new Wakeup(['/nonexistent/cello-wakeup']);
  t.equal(w.watched, 0, 'nothing watched');
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 50);
  await t.rejects(w.wait(30_000, 30_000, stop.signal), 'stopped');
});
