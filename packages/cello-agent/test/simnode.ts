/**
 * Helpers for running cello-agent inside a vpc-sim node against the sim's
 * cloud and Kubernetes API, as the DaemonSet runs it on a real node. The
 * node's host paths (/etc/cello, /run/cello, /var/lib/kubelet, …) are the
 * sim's per-node directories; the test reaches them from outside through
 * `nodePath` (@cello/testkit/sim).
 */
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import type { Test } from 'tap';
import { bin, tempDir } from '@cello/testkit';
import { k8sOk } from '@cello/testkit/sim';
import type { Sim } from '@cello/vpc-sim';

/** The cluster config for this sim: its subnets and security group, the node's RAM role. */
export function clusterConf(sim: Sim, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subnets: [sim.info.subnets[0]!.id],
    securityGroups: [sim.info.securityGroups[0]!.id],
    ramRole: sim.info.metadata.ramRole,
    openApiAddress: sim.info.openapi.endpoint,
    poolTarget: 2,
    poolTargetMin: 2,
    poolMonitorIntervalSec: 2,
    ipCooldownSec: 0,
    ...extra,
  };
}

/** Kubernetes through the sim's control socket; throws unless 2xx (testkit's k8sOk). */
export const k8s = k8sOk;

/** Create or replace a ConfigMap whose `conf` key holds `conf` (a string is written as is). */
export async function putConfigMap(sim: Sim, namespace: string, name: string, conf: unknown): Promise<void> {
  const data = { conf: typeof conf === 'string' ? conf : JSON.stringify(conf) };
  const path = `/api/v1/namespaces/${namespace}/configmaps`;
  const existing = await sim.control.k8s('GET', `${path}/${name}`);
  if (existing.status === 404) await k8s(sim, 'POST', path, { metadata: { name, namespace }, data });
  else await k8s(sim, 'PUT', `${path}/${name}`, { ...(existing.body as object), data });
}

/** Set (or with null remove) a label on a Node. */
export async function labelNode(sim: Sim, node: string, key: string, value: string | null): Promise<void> {
  await k8s(sim, 'PATCH', `/api/v1/nodes/${node}`, { metadata: { labels: { [key]: value } } }, 'application/merge-patch+json');
}

export interface LogLine {
  msg: string;
  [k: string]: any;
}

export interface RunningAgent {
  child: ChildProcess;
  /** JSON log lines from stderr. */
  lines: LogLine[];
  /** Lines on stdout (cello-gc's sweep reports), parsed when JSON. */
  out: unknown[];
  /** Wait for a log line (stderr JSON) matching `pred`; fails the wait after `timeoutMs` with `what`. */
  waitForLog(what: string, pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Send a signal and wait for the exit; resolves to the exit code (or the signal). */
  stop(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals>;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

/** Start `cello-agent run` in a node; killed in teardown if still running. */
export function startAgent(t: Test, sim: Sim, node: string, args: string[] = [], env: Record<string, string> = {}): RunningAgent {
  const runtime = tempDir('cello-agent-rt-');
  t.teardown(() => runtime.remove());
  // No gc child unless asked for (its sweeps are cello-gc's tests' business).
  const gc = args.includes('--gc-interval') ? [] : ['--gc-interval', '0'];
  const child = sim.spawn(node, [process.execPath, bin('cello-agent'), 'run', '--runtime-dir', runtime.path, '--listen', '127.0.0.1:11414', ...gc, ...args], {
    env,
  });
  const lines: LogLine[] = [];
  const out: unknown[] = [];
  const waiters = new Set<() => void>();
  // Always drain stdout: a child writing to a full pipe would block.
  child.stdout!.setEncoding('utf8');
  let outBuf = '';
  child.stdout!.on('data', (d: string) => {
    outBuf += d;
    const parts = outBuf.split('\n');
    outBuf = parts.pop()!;
    for (const p of parts) {
      try {
        out.push(JSON.parse(p));
      } catch {
        out.push(p);
      }
    }
  });
  let buf = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const p of parts) {
      try {
        lines.push(JSON.parse(p));
      } catch {
        lines.push({ msg: p });
      }
    }
    for (const w of waiters) w();
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return {
    child,
    lines,
    out,
    exited,
    waitForLog(what, pred, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find(pred);
          if (hit) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(hit);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `timed out waiting for the agent to log ${what}; last lines:\n${lines
                .slice(-15)
                .map((l) => JSON.stringify(l))
                .join('\n')}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      child.kill(signal);
      const [code, sig] = await exited;
      return code ?? sig!;
    },
  };
}

/** GET a path of the agent's metrics server inside the node: {status, body}. */
export async function agentHttp(sim: Sim, node: string, path: string): Promise<{ status: number; body: string }> {
  const r = await sim.exec(node, ['curl', '-s', '-o', '-', '-w', '\n%{http_code}', `http://127.0.0.1:11414${path}`]);
  const i = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(i + 1)) || 0, body: r.stdout.slice(0, i) };
}

/** The value of one series in Prometheus text (`name{a="b"}`), or undefined. */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}
