/**
 * A role the supervisor keeps running in its own process: an async function
 * that runs until its AbortSignal fires. When it throws or returns on its own
 * it is restarted — after 1 s, doubling up to 30 s while it keeps failing
 * young, back to 1 s once it has run for a minute (as children were) — with
 * a fresh signal. Every start and end is logged and reported through
 * `onChange`; its state says `pid` (the supervisor's), running, restarts and
 * how the last run ended. `stop` aborts it and waits up to a grace period.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@cello/cli-kit';
import type { ChildState } from './state.ts';

/** How a supervised role is restarted after it ends: the delay doubles from initialMs to maxMs. */
export interface RestartBackoff {
  initialMs: number;
  maxMs: number;
  /** A run at least this long resets the delay to initialMs. */
  healthyAfterMs: number;
}

export const DEFAULT_RESTART_BACKOFF: RestartBackoff = { initialMs: 1000, maxMs: 30_000, healthyAfterMs: 60_000 };

export interface RoleSpec {
  name: string;
  /** Run until `signal` aborts; returning or throwing earlier is a failure. */
  run: (signal: AbortSignal, log: Logger) => Promise<unknown>;
}

export class SupervisedRole {
  readonly state: ChildState = { running: false, restarts: 0 };
  private stopping = false;
  private loop?: Promise<void>;
  private current?: AbortController;
  private readonly wakeup = new AbortController();

  constructor(
    readonly spec: RoleSpec,
    /** The role's own logger (lines carry its name). */
    private readonly log: Logger,
    private readonly onChange: () => void,
    private readonly backoff: RestartBackoff = DEFAULT_RESTART_BACKOFF,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    let delay = this.backoff.initialMs;
    while (!this.stopping) {
      const started = Date.now();
      const ac = new AbortController();
      this.current = ac;
      Object.assign(this.state, { pid: process.pid, running: true, startedAt: new Date(started).toISOString() });
      this.log.info('role started', { role: this.spec.name, restarts: this.state.restarts });
      this.onChange();

      let how = 'returned';
      try {
        await this.spec.run(ac.signal, this.log);
      } catch (err) {
        how = `error: ${(err as Error)?.message ?? String(err)}`;
        if (!this.stopping) this.log.error('role failed', { role: this.spec.name, error: err });
      }
      this.current = undefined;
      Object.assign(this.state, { running: false, lastExit: how });
      if (this.stopping) {
        this.log.info('role stopped', { role: this.spec.name, how });
        this.onChange();
        break;
      }
      delay = Date.now() - started >= this.backoff.healthyAfterMs ? this.backoff.initialMs : delay;
      this.log.warn('role ended; restarting', { role: this.spec.name, how, restartInMs: delay });
      this.onChange();
      await sleep(delay, undefined, { signal: this.wakeup.signal }).catch(() => undefined);
      delay = Math.min(this.backoff.maxMs, delay * 2);
      if (!this.stopping) this.state.restarts++;
    }
  }

  /** Abort the role; resolves when it has ended, or after `graceMs` if it does not (logged). */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.wakeup.abort();
    this.current?.abort();
    if (!this.loop) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), graceMs)));
    const ended = await Promise.race([this.loop.then(() => 'ended' as const), late]);
    clearTimeout(timer);
    if (ended === 'late') this.log.error('role did not stop within the grace period; leaving it', { role: this.spec.name, graceMs });
  }
}
