// What the agent costs a node when nothing happens: `cello-agent run` on a
// vpc-sim node (every role: config-sync, keeper, capacity, metrics, gc), left
// idle for 60 s. RSS and PSS are summed over its whole process tree (what the
// DaemonSet pod holds: since issue 12 one process, the roles all run in the
// supervisor's); CPU is the tree's user + system time. gc's sweep
// (`cello-gc node --once`, a short-lived process started at ready, then every
// --gc-interval, 300 s by default) comes once per interval, not every minute:
// the 60 s window starts once the first sweep has exited, and the sweep's CPU
// (its parent's cutime/cstime) is reported apart, and amortised over the
// interval. The targets: ≤ 100 MiB and < 1 % of one core. Measured twice in
// one run: the agent's bundle under Node (as shipped), and the same bundle
// under Bun (gc's sweeps then run under Bun too: they are started with the
// supervisor's own executable).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bin, waitFor } from '@cello/testkit';
import { bunPath } from '@cello/runtime/bun-path';
import type { BenchReport } from '../report.ts';
import { benchSim, postClusterConfig } from '../sim-node.ts';

const IDLE_MS = 60_000;
const TICK = 100; // USER_HZ on Linux

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  cpuTicks: number; // utime + stime + cutime + cstime
  reapedTicks: number; // cutime + cstime: children that exited
}

function procs(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      out.push({
        pid: Number(name),
        ppid: Number(f[1]),
        comm,
        cpuTicks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]),
        reapedTicks: Number(f[13]) + Number(f[14]),
      });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** `root` and every descendant. */
function tree(root: number): Proc[] {
  const all = procs();
  const keep = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) if (!keep.has(p.pid) && keep.has(p.ppid)) keep.add(p.pid), (grew = true);
  }
  return all.filter((p) => keep.has(p.pid));
}

function kib(pid: number, file: 'status' | 'smaps_rollup', key: string): number {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The pid of the agent's own process: the one whose command line is `RUNTIME …/cello-agent run …` with our marker. */
function agentPid(marker: string): number | undefined {
  for (const p of procs()) {
    try {
      const cmd = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0');
      // [node|bun, V8 flags…, …/cello-agent, run, …]: the script is the first argument that is not a flag. Not
      // `node …/vpc-sim exec … -- cello-agent run …`, which carries the same words (its script is vpc-sim).
      const script = cmd.slice(1).find((a) => !a.startsWith('-'));
      if (/^(node|bun)$/.test(basename(cmd[0] ?? '')) && script?.endsWith('/cello-agent') && cmd[cmd.indexOf(script) + 1] === 'run' && cmd.includes(marker))
        return p.pid;
    } catch {
      // gone
    }
  }
  return undefined;
}

interface Idle {
  seconds: number;
  processes: Array<{ pid: number; comm: string; rssKiB: number; pssKiB: number }>;
  rssMiB: number;
  pssMiB: number;
  cpuPct: number;
  /** CPU seconds of gc's first sweep (started at ready), and the sweep interval that amortises it. */
  sweepCpuSec: number;
  sweepIntervalSec: number;
}

const GC_INTERVAL_SEC = 300; // cello-agent run's default --gc-interval, passed explicitly

/** `command` starts the agent: `[bin('cello-agent')]` as shipped (its shebang's V8 flags apply), or `[bun, bin('cello-agent')]`. */
async function idleAgent(command: string[], tag: string): Promise<Idle> {
  const vpcSim = bin('vpc-sim');
  const sim = await benchSim(`bai${tag}${process.pid % 1000}`);
  const name = sim.name;
  const marker = `/tmp/cello-bench-idle-${tag}-${process.pid}`;
  let child: ReturnType<typeof spawn> | undefined;
  try {
    await postClusterConfig(sim);
    child = spawn(
      vpcSim,
      [
        'exec',
        '--name',
        name,
        'node1',
        '--',
        ...command,
        'run',
        '--runtime-dir',
        marker,
        '--listen',
        '127.0.0.1:11414',
        '--gc-interval',
        String(GC_INTERVAL_SEC),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NODE_OPTIONS: '' },
      },
    );
    let log = '';
    child.stderr!.on('data', (d) => (log += d));
    let reports = ''; // each gc sweep prints its report on the agent's stdout, one line
    child.stdout!.on('data', (d) => (reports += d));
    for (const t0 = Date.now(); !log.includes('"node ready'); await sleep(200)) {
      if (Date.now() - t0 > 60_000) throw new Error(`the agent (${command.join(' ')}) was not ready in 60 s: ${log.slice(-500)}`);
    }
    const pid = agentPid(marker);
    if (!pid) throw new Error('cannot find the agent process');
    const reaped = () => tree(pid).reduce((s, p) => s + p.reapedTicks, 0);
    const reapedAtReady = reaped();
    // The first gc sweep starts at ready: wait for its report, and until the agent has no child left.
    await waitFor(() => reports.includes('\n') && tree(pid).length === 1, { what: 'the first gc sweep to end', timeoutMs: 60_000, everyMs: 100 });
    const sweepCpuSec = (reaped() - reapedAtReady) / TICK;
    const tree0 = tree(pid);
    const cpu0 = tree0.reduce((s, p) => s + p.cpuTicks, 0);
    const t0 = performance.now();
    await sleep(IDLE_MS);
    const procsNow = tree(pid);
    const seconds = (performance.now() - t0) / 1000;
    const cpuPct = ((procsNow.reduce((s, p) => s + p.cpuTicks, 0) - cpu0) / TICK / seconds) * 100;
    const processes = procsNow.map((p) => ({ pid: p.pid, comm: p.comm, rssKiB: kib(p.pid, 'status', 'VmRSS'), pssKiB: kib(p.pid, 'smaps_rollup', 'Pss') }));
    const rssMiB = processes.reduce((s, p) => s + p.rssKiB, 0) / 1024;
    const pssMiB = processes.reduce((s, p) => s + p.pssKiB, 0) / 1024;
    return { seconds, processes, rssMiB, pssMiB, cpuPct, sweepCpuSec, sweepIntervalSec: GC_INTERVAL_SEC };
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await sim.down();
  }
}

const describe = (label: string, r: Idle) => [
  `${label}: ${r.processes.length} processes, idle ${r.seconds.toFixed(0)} s after gc's first sweep`,
  `  RSS summed over the tree: ${r.rssMiB.toFixed(0)} MiB (PSS ${r.pssMiB.toFixed(0)} MiB); target ≤ 100 MiB`,
  `  CPU over the idle period: ${r.cpuPct.toFixed(2)} % of one core; with gc's sweep (${r.sweepCpuSec.toFixed(2)} s of CPU every ${r.sweepIntervalSec} s) ${(r.cpuPct + (r.sweepCpuSec / r.sweepIntervalSec) * 100).toFixed(2)} %; target < 1 %`,
  `  per process (RSS MiB): ${r.processes.map((p) => `${p.comm} ${(p.rssKiB / 1024).toFixed(0)}`).join(', ')}`,
];

export default {
  name: 'agent-idle',
  async run(): Promise<BenchReport> {
    const node = await idleAgent([bin('cello-agent')], 'n');
    const bun = await idleAgent([bunPath(), bin('cello-agent')], 'b');
    return {
      suite: 'agent-idle',
      lines: [...describe('cello-agent run under Node (as shipped)', node), ...describe('the same bundle under Bun', bun)],
      data: { node, bun },
    };
  },
};
