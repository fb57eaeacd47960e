/**
 * Pool keepers on many sim nodes at once, started in the same moment (as
 * after an autoscaler added the nodes), each timed from that moment: until
 * its first ENI is ready for pods (its first free IP) and until its pool is
 * met (`pool --once` exits 0).
 */
import type { ChildProcess } from 'node:child_process';
import { bin } from '@cello/testkit';
import type { Sim } from './sim.ts';

/** The keeper binary: bin/cello-eni, or CLUSTER_CELLO_ENI (another build, for before/after figures). */
export const celloEni = () => process.env.CLUSTER_CELLO_ENI || bin('cello-eni');

export interface NodeTiming {
  node: string;
  /** ms from the common start until the keeper is connected ("pool keeper started": process start, metadata, credentials). */
  startedMs?: number;
  /** ms from the common start to the first "ENI ready for pods" (undefined: none). */
  firstIpMs?: number;
  /** ms from the common start to a successful exit. */
  metMs?: number;
  exitCode: number | null;
  /** CPU seconds the keeper used (user + system, from /usr/bin/time). */
  cpuSec?: number;
  stderrTail: string;
}

/** Wait for one child, noting when its log first says an ENI is ready. */
function follow(child: ChildProcess, node: string, t0: number): Promise<NodeTiming> {
  const timing: NodeTiming = { node, exitCode: null, stderrTail: '' };
  let buf = '';
  child.stderr?.on('data', (d: Buffer) => {
    buf += d;
    if (timing.startedMs === undefined && buf.includes('"pool keeper started"')) timing.startedMs = Date.now() - t0;
    if (timing.firstIpMs === undefined && buf.includes('"ENI ready for pods"')) timing.firstIpMs = Date.now() - t0;
    if (buf.length > 20_000) buf = buf.slice(-4000);
  });
  child.stdout?.resume();
  return new Promise((resolve) => {
    child.on('close', (code) => {
      timing.exitCode = code;
      if (code === 0) timing.metMs = Date.now() - t0;
      const cpu = buf.match(/keeper-cpu ([\d.]+) ([\d.]+)/);
      if (cpu) timing.cpuSec = Number(cpu[1]) + Number(cpu[2]);
      timing.stderrTail = buf.slice(-600);
      resolve(timing);
    });
  });
}

/** `cello-eni pool --once` on every node at the same moment (under /usr/bin/time, for its CPU); resolves when all have exited. */
export async function scaleUp(
  sim: Sim,
  nodes: string[],
  onPid: (pid: number) => void = () => {},
): Promise<{ t0: number; timings: NodeTiming[]; pids: number[] }> {
  const t0 = Date.now();
  const children = nodes.map((n) =>
    sim.spawn(n, ['/usr/bin/time', '-f', 'keeper-cpu %U %S', celloEni(), 'pool', '--once'], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  const pids = children.map((c) => c.pid!).filter(Boolean);
  pids.forEach(onPid);
  const timings = await Promise.all(children.map((c, i) => follow(c, nodes[i]!, t0)));
  return { t0, timings, pids };
}

/** Long-running keepers (`pool --watch`); stop them with stop(). */
export function watchKeepers(sim: Sim, nodes: string[]): { children: ChildProcess[]; ready: Promise<void>; stop(): Promise<void> } {
  const children = nodes.map((n) => sim.spawn(n, [celloEni(), 'pool', '--watch'], { stdio: ['ignore', 'ignore', 'pipe'] }));
  const ready = Promise.all(
    children.map(
      (c, i) =>
        new Promise<void>((resolve, reject) => {
          let log = '';
          const onData = (d: Buffer) => {
            log += d;
            if (log.includes('watching:')) {
              c.stderr!.off('data', onData);
              c.stderr!.resume();
              resolve();
            }
          };
          c.stderr!.on('data', onData);
          c.once('exit', (code) => reject(new Error(`keeper on ${nodes[i]} exited (${code}): ${log.slice(-400)}`)));
        }),
    ),
  ).then(() => undefined);
  return {
    children,
    ready,
    async stop() {
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once('exit', () => resolve());
              c.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
