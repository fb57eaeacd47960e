// The pool keeper on vpc-sim, as a node would run it:
//   - `cello-eni pool --once` filling a fresh node to 25 IPs (3 ENIs created
//     with their IPs, attached, brought up, imported) and trimming it back to
//     0, with the sim's ENI state changes instant and with 300 ms each;
//     beside `cello-eni limits` (process start, metadata identity, STS, three
//     describes: the floor any cloud command pays);
//   - a running `pool --watch` serving ADDs that found the pool empty: from
//     the failed `cello-ipam alloc --record-demand` to the first successful
//     retry (polled every 50 ms), when the ENI has room (one assign) and when
//     a new ENI is needed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { bin, must, run, tempDir } from '@cello/testkit';
import { hyperfine, median } from '../hyperfine.ts';
import { type BenchReport, ms, ratio } from '../report.ts';

interface Info {
  subnets: Array<{ id: string }>;
  securityGroups: Array<{ id: string }>;
  metadata: { ramRole: string };
  openapi: { endpoint: string };
}

const confPath = (sim: string, node: string) => `/run/vpc-sim/${sim}/nodes/${node}/root/etc/cello/conf`;

function writeConf(sim: string, info: Info, node: string, extra: Record<string, unknown>) {
  const path = confPath(sim, node);
  mkdirSync(join(path, '..'), { recursive: true });
  const conf = {
    subnets: info.subnets.map((s) => s.id),
    securityGroups: info.securityGroups.map((g) => g.id),
    ramRole: info.metadata.ramRole,
    openApiAddress: info.openapi.endpoint,
    ipCooldownSec: 0,
    ...extra,
  };
  writeFileSync(path, JSON.stringify(conf));
}

async function up(name: string, delayMs: number): Promise<Info> {
  const dir = tempDir('cello-bench-eni-');
  try {
    const cfg = join(dir.path, 'sim.json');
    writeFileSync(cfg, JSON.stringify({ delaysMs: { create: delayMs, attach: delayMs, detach: delayMs, delete: delayMs } }));
    return JSON.parse(String((await must(bin('vpc-sim'), ['up', '--name', name, '--nodes', '2', '--config', cfg])).stdout)) as Info;
  } finally {
    dir.remove();
  }
}

/** Fill to 25 and trim to 0, `rounds` times; the wall time of each. */
async function fillAndTrim(sim: string, info: Info, rounds: number) {
  const exec = (args: string[]) => run(bin('vpc-sim'), ['exec', '--name', sim, 'node1', '--', bin('cello-eni'), ...args]);
  const fill: number[] = [];
  const trim: number[] = [];
  for (let i = 0; i < rounds; i++) {
    for (const [target, into] of [
      [25, fill],
      [0, trim],
    ] as const) {
      writeConf(sim, info, 'node1', { poolTarget: target, poolMonitorIntervalSec: 3600 });
      const start = performance.now();
      const r = await exec(['pool', '--once']);
      if (r.exitCode !== 0) throw new Error(`pool --once to ${target}: ${String(r.stderr).slice(-400)}`);
      into.push(performance.now() - start);
    }
  }
  return { fill: median(fill), trim: median(trim) };
}

/** With a keeper watching node2: how long an ADD that found no IP waits for one. */
async function demandLatency(sim: string, info: Info, samples: number) {
  writeConf(sim, info, 'node2', { poolTarget: 0, poolMonitorIntervalSec: 3600 });
  const keeper = spawn(bin('vpc-sim'), ['exec', '--name', sim, 'node2', '--', bin('cello-eni'), 'pool', '--watch'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let log = '';
  keeper.stderr!.on('data', (d: Buffer) => (log += d));
  const ipam = (args: string[]) => run(bin('vpc-sim'), ['exec', '--name', sim, 'node2', '--', bin('cello-ipam'), ...args]);
  try {
    for (let waited = 0; !log.includes('watching:'); waited += 100) {
      if (waited > 30_000) throw new Error(`the keeper did not start: ${log.slice(-400)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const times: Array<{ ms: number; newEni: boolean }> = [];
    for (let i = 0; i < samples; i++) {
      const before = (log.match(/"msg":"created ENI"/g) ?? []).length;
      const key = ['--container', `bench${i}`, '--pod-name', `p${i}`, '--pod-namespace', 'bench'];
      const start = performance.now();
      const first = await ipam(['alloc', ...key, '--record-demand']);
      if (first.exitCode === 0) throw new Error('the pool was not empty');
      for (;;) {
        if ((await ipam(['alloc', ...key])).exitCode === 0) break;
        if (performance.now() - start > 60_000) throw new Error(`no IP after 60 s: ${log.slice(-400)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      times.push({ ms: performance.now() - start, newEni: (log.match(/"msg":"created ENI"/g) ?? []).length > before });
    }
    return times;
  } finally {
    keeper.kill('SIGTERM');
  }
}

export default {
  name: 'eni-pool',
  async run(): Promise<BenchReport> {
    const fast = `beni${process.pid % 100000}f`;
    const slow = `beni${process.pid % 100000}s`;
    try {
      const infoFast = await up(fast, 0);
      const infoSlow = await up(slow, 300);
      writeConf(fast, infoFast, 'node1', { poolTarget: 0 });
      const [limits] = await hyperfine(
        { 'cello-eni limits': `${bin('vpc-sim')} exec --name ${fast} node1 -- ${bin('cello-eni')} limits` },
        { runs: 10, warmup: 2 },
      );
      const instant = await fillAndTrim(fast, infoFast, 5);
      const delayed = await fillAndTrim(slow, infoSlow, 3);
      const demand = await demandLatency(fast, infoFast, 12);
      const assignOnly = median(demand.filter((d) => !d.newEni).map((d) => d.ms));
      const withEni = median(demand.filter((d) => d.newEni).map((d) => d.ms));
      return {
        suite: 'eni-pool',
        lines: [
          `cello-eni limits (the floor of a cloud command): median ${ms(limits!.medianMs)}`,
          `pool --once fill to 25 IPs (3 ENIs), instant cloud:  median ${ms(instant.fill)} (${ratio(instant.fill, limits!.medianMs)} of limits)`,
          `pool --once trim 25 → 0 (3 ENIs freed), instant cloud: median ${ms(instant.trim)}`,
          `pool --once fill to 25, 300 ms per ENI state change: median ${ms(delayed.fill)}; trim ${ms(delayed.trim)}`,
          `ADD with the pool empty → IP, keeper watching (assign on an ENI with room): median ${ms(assignOnly)} over ${demand.filter((d) => !d.newEni).length}`,
          `ADD with the pool empty → IP, a new ENI needed: median ${ms(withEni)} over ${demand.filter((d) => d.newEni).length}`,
        ],
        data: { limits, instant, delayed, demand },
      };
    } finally {
      await run(bin('vpc-sim'), ['down', '--name', fast]);
      await run(bin('vpc-sim'), ['down', '--name', slow]);
    }
  },
};
