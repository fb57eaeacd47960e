// The supervisor's in-process roles (supervisor/role.ts): a role that fails
// is restarted with a growing delay, counted and reported; stop aborts the
// running role and waits for it to end. No processes, no timing thresholds.
import t from 'tap';
import type { Logger } from '@cello/cli-kit';
import { waitFor } from '@cello/testkit';
import { SupervisedRole } from '../src/supervisor/role.ts';

interface Line {
  level: string;
  msg: string;
  [k: string]: unknown;
}

function recorder(): { log: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const log: Logger = {
    debug: (msg, f) => void lines.push({ level: 'debug', msg, ...f }),
    info: (msg, f) => void lines.push({ level: 'info', msg, ...f }),
    warn: (msg, f) => void lines.push({ level: 'warn', msg, ...f }),
    error: (msg, f) => void lines.push({ level: 'error', msg, ...f }),
    child: () => log,
  };
  return { log, lines };
}

const untilAborted = (signal: AbortSignal) => new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));

t.test('a failing role is restarted with backoff, counted and reported', async (t) => {
  const { log, lines } = recorder();
  let runs = 0;
  let changes = 0;
  const role = new SupervisedRole(
    {
      name: 'capacity',
      run: async (signal) => {
        runs++;
        if (runs <= 2) throw new Error(`boom ${runs}`);
        await untilAborted(signal);
      },
    },
    log,
    () => changes++,
    { initialMs: 1, maxMs: 4, healthyAfterMs: 60_000 },
  );
  role.start();
  await waitFor(() => runs === 3 && role.state.running, { what: 'a third run', timeoutMs: 10_000, everyMs: 5 });
  t.equal(role.state.restarts, 2, 'two restarts');
  t.equal(role.state.pid, process.pid, 'in this process');
  const ended = lines.filter((l) => l.msg === 'role ended; restarting');
  t.same(
    ended.map((l) => [l.role, l.how, l.restartInMs]),
    [
      ['capacity', 'error: boom 1', 1],
      ['capacity', 'error: boom 2', 2],
    ],
    'each failure logged with its delay, which doubles',
  );
  t.equal(lines.filter((l) => l.msg === 'role failed' && l.level === 'error').length, 2, 'the error itself logged');
  t.ok(changes >= 5, 'every start and end reported');

  await role.stop(5000);
  t.equal(role.state.running, false);
  t.equal(role.state.lastExit, 'returned', 'it ended when aborted');
  t.ok(
    lines.some((l) => l.msg === 'role stopped'),
    'stop logged',
  );
  t.equal(runs, 3, 'not restarted after stop');
});

t.test('a role that returns on its own is restarted too', async (t) => {
  const { log, lines } = recorder();
  let runs = 0;
  const role = new SupervisedRole({ name: 'metrics', run: async (signal) => (++runs === 1 ? undefined : untilAborted(signal)) }, log, () => {}, {
    initialMs: 1,
    maxMs: 1,
    healthyAfterMs: 60_000,
  });
  role.start();
  await waitFor(() => runs === 2 && role.state.running, { what: 'a second run', timeoutMs: 10_000, everyMs: 5 });
  t.match(
    lines.find((l) => l.msg === 'role ended; restarting'),
    { role: 'metrics', how: 'returned' },
  );
  await role.stop(5000);
});

t.test('stop during the backoff wait ends at once, without another run', async (t) => {
  const { log } = recorder();
  let runs = 0;
  const role = new SupervisedRole({ name: 'keeper', run: async () => void runs++ }, log, () => {}, {
    initialMs: 3_600_000,
    maxMs: 3_600_000,
    healthyAfterMs: 60_000,
  });
  role.start();
  await waitFor(() => runs === 1 && !role.state.running, { what: 'the first run', timeoutMs: 10_000, everyMs: 5 });
  await role.stop(5000);
  t.equal(runs, 1);
  t.equal(role.state.restarts, 0);
});

t.test('a role that ignores the abort is left after the grace period, and said so', async (t) => {
  const { log, lines } = recorder();
  const role = new SupervisedRole({ name: 'stuck', run: () => new Promise(() => {}) }, log, () => {});
  role.start();
  await role.stop(10);
  t.ok(lines.some((l) => l.msg === 'role did not stop within the grace period; leaving it' && l.role === 'stuck'));
});
