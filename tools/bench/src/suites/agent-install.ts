// cello-agent's host install and its start on a node:
//   - cello-cni VERSION as installed (one Bun-compiled file in the CNI bin directory) beside
//     host-local VERSION (a Go reference plugin): what every CNI call pays to start;
//   - `cello-agent install` from scratch (copies the ~110 MB binary, smoke-tests it) and again
//     (nothing to do: a byte comparison);
//   - time from `cello-agent run` to "node ready" in a vpc-sim node (install, config, keeper's
//     first ENI with its IPs, conflist), beside `cello-eni pool --once` filling the same pool alone.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, must, run, tempDir } from '@cello/testkit';
import { hyperfine, median } from '../hyperfine.ts';
import { type BenchReport, ms, ratio } from '../report.ts';
import { benchSim, postClusterConfig } from '../sim-node.ts';

/** Median CPU time (user + system) of a command over `runs` runs, from GNU time: immune to a busy machine's waits. */
async function cpuMs(cmd: string, runs = 20): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await run('/usr/bin/time', ['-f', '%U %S', 'sh', '-c', cmd]);
    const [user, sys] = String(r.stderr).trim().split('\n').pop()!.split(' ').map(Number);
    times.push((user! + sys!) * 1000);
  }
  return median(times);
}

const versionCmd = (exe: string) => `sh -c 'echo {\\"cniVersion\\":\\"1.0.0\\"} | env -i CNI_COMMAND=VERSION ${exe} >/dev/null'`;

/** Spawn `cello-agent run` in a sim node; resolve with the ms until it logs "node ready". */
function timeToReady(sim: string, runtime: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      bin('vpc-sim'),
      [
        'exec',
        '--name',
        sim,
        'node1',
        '--',
        bin('cello-agent'), // by name, as shipped: its shebang's V8 flags apply
        'run',
        '--runtime-dir',
        runtime,
        '--gc-interval',
        '0',
        '--listen',
        '127.0.0.1:11414',
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, NODE_OPTIONS: '' },
      },
    );
    let buf = '';
    let elapsed: number | undefined;
    child.stderr.on('data', (d) => {
      buf += d;
      if (elapsed === undefined && buf.includes('"node ready')) {
        elapsed = performance.now() - started;
        child.kill('SIGTERM');
        child.once('exit', () => resolve(elapsed!));
      }
    });
    child.on('exit', (code) => (buf.includes('"node ready') ? undefined : reject(new Error(`agent exited ${code} before ready: ${buf.slice(-500)}`))));
  });
}

async function simReady(): Promise<{ agent: number[]; keeperOnly: number[] }> {
  const vpcSim = bin('vpc-sim');
  const agent: number[] = [];
  const keeperOnly: number[] = [];
  const dir = tempDir('cello-bench-agent-');
  try {
    for (let i = 0; i < 3; i++) {
      const name = `bag${process.pid % 10000}${i}`;
      const sim = await benchSim(name);
      try {
        await postClusterConfig(sim);
        agent.push(await timeToReady(name, join(dir.path, `rt${i}`)));
      } finally {
        await sim.down();
      }
      // The same first fill by the keeper alone, on a fresh sim.
      const keeperSim = await benchSim(`${name}k`);
      try {
        const confFile = join(dir.path, `conf${i}`);
        writeFileSync(confFile, JSON.stringify(keeperSim.conf));
        const t0 = performance.now();
        await must(
          vpcSim,
          [
            'exec',
            '--name',
            `${name}k`,
            'node1',
            '--',
            bin('cello-eni'),
            'pool',
            '--once',
            '--config',
            confFile,
            '--node-config',
            join(dir.path, 'none'),
            '--output',
            'json',
          ],
          { env: { NODE_OPTIONS: '' } },
        );
        keeperOnly.push(performance.now() - t0);
      } finally {
        await keeperSim.down();
      }
    }
  } finally {
    dir.remove();
  }
  return { agent, keeperOnly };
}

export default {
  name: 'agent-install',
  async run(): Promise<BenchReport> {
    const dir = tempDir('cello-bench-install-');
    try {
      const target = (p: string) => join(dir.path, p);
      const install = `${process.execPath} ${bin('cello-agent')} install --cni-bin-dir ${target('bin')} --runtime-dir ${target('opt')}`;
      await must('sh', ['-c', `${install} >/dev/null`]);
      const installed = target('bin/cello-cni');
      readFileSync(installed); // installed
      const [hostLocal, installedCni] = await hyperfine(
        {
          'host-local VERSION (Go)': versionCmd('/usr/lib/cni/host-local'),
          'installed cello-cni VERSION': versionCmd(installed),
        },
        { runs: 40, warmup: 5 },
      );
      const versionPipe = (exe: string) => `echo '{"cniVersion":"1.0.0"}' | env -i CNI_COMMAND=VERSION ${exe} >/dev/null`;
      const cpu = {
        hostLocal: await cpuMs(versionPipe('/usr/lib/cni/host-local')),
        installedCni: await cpuMs(versionPipe(installed)),
      };
      const [fresh] = await hyperfine(
        { 'cello-agent install (fresh)': `sh -c '${install} >/dev/null'` },
        { runs: 8, warmup: 1, prepare: `rm -rf ${target('bin')} ${target('opt')}` },
      );
      const [again] = await hyperfine({ 'cello-agent install (again)': `sh -c '${install} >/dev/null'` }, { runs: 15, warmup: 2 });
      const ready = await simReady();
      const agentReady = median(ready.agent);
      const keeperOnly = median(ready.keeperOnly);
      return {
        suite: 'agent-install',
        lines: [
          `installed cello-cni VERSION: median ${ms(installedCni!.medianMs)}; host-local ${ms(hostLocal!.medianMs)} (${ratio(installedCni!.medianMs, hostLocal!.medianMs)})`,
          `  CPU (user + system): installed cello-cni ${ms(cpu.installedCni)}, host-local ${ms(cpu.hostLocal)} (${ratio(cpu.installedCni, cpu.hostLocal)})`,
          `cello-agent install: fresh median ${ms(fresh!.medianMs)} (copies one ~110 MB file, smoke-tests it), again ${ms(again!.medianMs)} (process start + byte comparison)`,
          `cello-agent run → node ready (pool of 5 in a vpc-sim node): median ${ms(agentReady)} of ${ready.agent.length}; cello-eni pool --once alone ${ms(keeperOnly)} (${ratio(agentReady, keeperOnly)})`,
        ],
        data: { hostLocal, installedCni, cpu, fresh, again, ready },
      };
    } finally {
      dir.remove();
    }
  },
};
