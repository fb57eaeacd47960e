// Crash safety: workers allocate and release thousands of times while the test
// SIGKILLs them (and bin/cello-ipam processes) at random moments. Afterwards
// `check` passes, every change a worker reported as committed is in the store,
// nothing else is (but the one operation each killed worker had in flight),
// and all 64 IPs are still there, each held once at most.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { build } from 'esbuild';
import { openStore } from '@cello/cello-ipam';
import { bin, repoRoot, run } from '@cello/testkit';
import { byState, eni, stateDir } from './helpers.ts';

const CYCLES = 5000; // completed alloc+release pairs to reach
const WORKERS = 4;
const SAFETY_CAP_MS = 120_000; // only against a hang; the test ends on CYCLES

interface Worker {
  tag: string;
  child: ChildProcess;
  killed: boolean;
  /** Resolves with the exit code once the process is gone and all its output has been read. */
  done: Promise<number | null>;
  stderr: string[];
}

t.test('SIGKILL at random moments during thousands of alloc/release cycles', async (t) => {
  const dir = stateDir(t);
  const workerFile = join(dir, 'crash-worker.cjs');
  await build({
    entryPoints: [join(import.meta.dirname, 'crash-worker.ts')],
    outfile: workerFile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    external: ['better-sqlite3'],
    logLevel: 'warning',
  });
  const db = join(dir, 'state');
  const setup = openStore({ stateDir: db });
  setup.import({ enis: [1, 2, 3, 4].map((n) => eni(n, 16)) });
  setup.setSettings({ ipCooldownSec: 0.01 }); // short, so thousands of cycles fit in 64 IPs, yet cooling is exercised
  setup.close();

  // What the workers reported as committed: container id → its IP while held.
  const held = new Map<string, string>();
  let cycles = 0;
  let allocations = 0;
  let noFree = 0;
  const workers: Worker[] = [];
  let spawned = 0;
  const env = { ...process.env, NODE_OPTIONS: '', NODE_PATH: join(repoRoot, 'node_modules') };

  const spawnWorker = () => {
    const tag = `w${spawned++}`;
    const child = spawn(process.execPath, [workerFile, db, tag], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const lines = createInterface({ input: child.stdout! });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const read = new Promise((r) => lines.on('close', r));
    const w: Worker = { tag, child, killed: false, stderr: [], done: Promise.all([exited, read]).then(([code]) => code) };
    child.stderr!.on('data', (d) => w.stderr.push(String(d)));
    lines.on('line', (line) => {
      const [op, id, ip] = line.split(' ') as [string, string, string];
      if (op === 'A') {
        held.set(id, ip);
        allocations++;
      } else if (op === 'R') {
        held.delete(id);
        cycles++;
      } else if (op === 'F') noFree++;
    });
    workers.push(w);
  };
  for (let i = 0; i < WORKERS; i++) spawnWorker();

  // Besides the workers, real CLI processes killed somewhere between start-up and exit.
  let cliRuns = 0;
  let stopCli = false;
  const cliLoop = (async () => {
    while (!stopCli) {
      const id = `cli-${cliRuns++}`;
      const verb = cliRuns % 3 === 0 ? 'release' : 'alloc';
      const p = run(bin('cello-ipam'), [verb, '--state-dir', db, '--container', verb === 'release' ? `cli-${cliRuns - 2}` : id]);
      await sleep(Math.random() * 120);
      (p as unknown as ChildProcess).kill('SIGKILL');
      await p;
    }
  })();

  const started = Date.now();
  let kills = 0;
  while (cycles < CYCLES && Date.now() - started < SAFETY_CAP_MS) {
    await sleep(20 + Math.random() * 130);
    const live = workers.filter((w) => !w.killed);
    const victim = live[Math.floor(Math.random() * live.length)]!;
    victim.killed = true;
    victim.child.kill('SIGKILL');
    kills++;
    spawnWorker();
  }
  stopCli = true;
  await cliLoop;
  for (const w of workers.filter((w) => !w.killed)) w.child.stdin!.end();
  const codes = await Promise.all(workers.map((w) => w.done));

  t.ok(cycles >= CYCLES, `${cycles} alloc/release cycles (${allocations} allocations, ${noFree} found no free IP)`);
  t.ok(kills >= 20, `${kills} workers SIGKILLed, ${cliRuns} CLI processes killed at random`);
  const crashed = workers.filter((w, i) => !w.killed && codes[i] !== 0);
  t.same(
    crashed.map((w) => w.stderr.join('')),
    [],
    'workers that were not killed exited cleanly',
  );

  const check = await run(bin('cello-ipam'), ['check', '--state-dir', db]);
  t.equal(check.exitCode, 0, `check passes: ${String(check.stdout)}`);

  const store = openStore({ stateDir: db });
  t.teardown(() => store.close());
  const inStore = new Map(store.allocations().map((a) => [a.containerId, a.ipv4!]));

  // Every reported, unreleased allocation is there with its IP, and nothing else is, except for
  // the one operation each killed worker had in flight (committed but not yet reported).
  const diff = new Map<string, number>();
  const tagOf = (id: string) => id.slice(0, id.lastIndexOf('-'));
  for (const [id, ip] of held) if (inStore.get(id) !== ip) diff.set(tagOf(id), (diff.get(tagOf(id)) ?? 0) + 1);
  for (const id of inStore.keys()) if (!id.startsWith('cli-') && !held.has(id)) diff.set(tagOf(id), (diff.get(tagOf(id)) ?? 0) + 1);
  const tooMany = [...diff].filter(([tag, n]) => n > 1 || !workers.find((w) => w.tag === tag)?.killed);
  t.same(tooMany, [], `store and reports differ only by in-flight operations of killed workers (${diff.size} workers)`);

  // No IP lost or doubled: 64 IPs, each allocation on its own IP, the rest free or cooling.
  const ips = store.ips();
  t.equal(ips.length, 64, 'all 64 IPs are still in the pool');
  t.equal(new Set(inStore.values()).size, inStore.size, 'no IP is held twice');
  t.equal(byState(store).used, inStore.size, 'exactly the held IPs are used');
  t.equal(byState(store).releasing, 0);
  for (const id of inStore.keys()) store.release({ network: 'cello', containerId: id, ifname: 'eth0' });
  const after = byState(store);
  t.equal(after.free + after.cooling, 64, 'after releasing what is left, all 64 are free or cooling');
  t.same(store.check(), []);
});
