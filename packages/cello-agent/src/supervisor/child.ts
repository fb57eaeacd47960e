/**
 * A child process the supervisor keeps running (with zx): started with its
 * stdout and stderr passed through (children log JSON lines on stderr),
 * restarted when it exits — after 1 s, doubling up to 30 s while it keeps
 * dying young, back to 1 s once it has run for a minute — and stopped with
 * SIGTERM, then SIGKILL after a grace period. Every start and exit is
 * logged and reported through `onChange`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@cello/cli-kit';
import { $, type ProcessPromise } from 'zx';
import type { ChildState } from './state.ts';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
}

export interface Backoff {
  initialMs: number;
  maxMs: number;
  /** A run at least this long resets the delay to initialMs. */
  healthyAfterMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 1000, maxMs: 30_000, healthyAfterMs: 60_000 };

export class SupervisedChild {
  readonly state: ChildState = { running: false, restarts: 0 };
  private proc?: ProcessPromise;
  private stopping = false;
  private loop?: Promise<void>;
  private readonly wakeup = new AbortController();

  constructor(
    readonly spec: ChildSpec,
    private readonly log: Logger,
    private readonly onChange: () => void,
    private readonly backoff: Backoff = DEFAULT_BACKOFF,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    let delay = this.backoff.initialMs;
    while (!this.stopping) {
      const started = Date.now();
      const proc = $({
        stdio: ['ignore', 'inherit', 'inherit'],
        nothrow: true,
        quiet: true,
        verbose: false,
        prefix: 'exec ',
        env: { ...process.env, ...this.spec.env },
      })`${this.spec.command} ${this.spec.args}`;
      this.proc = proc;
      Object.assign(this.state, { pid: proc.pid, running: true, startedAt: new Date(started).toISOString() });
      this.log.info('child started', { child: this.spec.name, pid: proc.pid, restarts: this.state.restarts });
      this.onChange();

      const out = await proc;
      const how = out.signal ? `signal ${out.signal}` : `exit ${out.exitCode}`;
      Object.assign(this.state, { running: false, lastExit: how });
      this.proc = undefined;
      if (this.stopping) {
        this.log.info('child stopped', { child: this.spec.name, pid: proc.pid, how });
        this.onChange();
        break;
      }
      delay = Date.now() - started >= this.backoff.healthyAfterMs ? this.backoff.initialMs : delay;
      this.log.warn('child exited; restarting', { child: this.spec.name, pid: proc.pid, how, restartInMs: delay });
      this.onChange();
      await sleep(delay, undefined, { signal: this.wakeup.signal }).catch(() => undefined);
      delay = Math.min(this.backoff.maxMs, delay * 2);
      if (!this.stopping) this.state.restarts++;
    }
  }

  /** Send a signal to the running child (not to its process tree: zx's tree kill needs `ps`). */
  signal(sig: NodeJS.Signals): void {
    this.proc?.child?.kill(sig);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it is gone. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.wakeup.abort();
    const proc = this.proc;
    if (proc) {
      this.signal('SIGTERM');
      const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
      await proc;
      clearTimeout(timer);
    }
    await this.loop;
  }
}
