/**
 * Kubernetes events on this node's Node object (`kubectl describe node`
 * shows them), as the kubelet records its own: namespace `default`,
 * involvedObject {kind: Node, name, uid: name}. A repeat of the same reason
 * and message bumps the count of the existing event instead of making a new
 * one, and is written at most once per `minIntervalMs` (repeats in between
 * are counted and go out with the next write). Recording never throws: an
 * event that cannot be written is logged and dropped.
 */
import { randomBytes } from 'node:crypto';
import type { CoreV1Api, CoreV1Event } from '@kubernetes/client-node';
import type { Logger } from '@cello/cli-kit';

export const EVENT_NAMESPACE = 'default';
export const COMPONENT = 'cello-agent';

interface Series {
  event?: CoreV1Event;
  count: number;
  lastWriteAt: number;
}

export interface EventRecorderOptions {
  core: CoreV1Api;
  node: string;
  log: Logger;
  /** Same reason and message: one write per this many ms at most (default 30 s). */
  minIntervalMs?: number;
  /** After this long without a repeat, a new event starts (default 10 min). */
  seriesWindowMs?: number;
}

export class NodeEventRecorder {
  private readonly series = new Map<string, Series>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: EventRecorderOptions) {}

  /** Record a Warning (or Normal) event; resolves once written or dropped. */
  record(reason: string, message: string, type: 'Warning' | 'Normal' = 'Warning'): Promise<void> {
    const key = `${type}\0${reason}\0${message}`;
    const now = Date.now();
    let s = this.series.get(key);
    if (!s || now - s.lastWriteAt > (this.opts.seriesWindowMs ?? 600_000)) {
      s = { count: 0, lastWriteAt: 0 };
      this.series.set(key, s);
    }
    s.count++;
    if (s.event && now - s.lastWriteAt < (this.opts.minIntervalMs ?? 30_000)) return Promise.resolve();
    const series = s;
    series.lastWriteAt = now;
    // One write at a time, in order: a repeat must see the event its first write made.
    const write = this.chain.then(() => this.write(series, reason, message, type));
    this.chain = write;
    return write;
  }

  /** Wait for the writes in flight (before the process exits). */
  async flush(): Promise<void> {
    await this.chain;
  }

  private async write(s: Series, reason: string, message: string, type: string): Promise<void> {
    const { core, node, log } = this.opts;
    const now = new Date();
    try {
      if (s.event?.metadata?.name) {
        const body: CoreV1Event = { ...s.event, count: s.count, lastTimestamp: now };
        s.event = await core.replaceNamespacedEvent({ name: s.event.metadata.name, namespace: EVENT_NAMESPACE, body });
      } else {
        s.event = await core.createNamespacedEvent({
          namespace: EVENT_NAMESPACE,
          body: {
            metadata: { name: `${node}.${randomBytes(8).toString('hex')}`, namespace: EVENT_NAMESPACE },
            involvedObject: { apiVersion: 'v1', kind: 'Node', name: node, uid: node },
            reason,
            message,
            type,
            count: s.count,
            firstTimestamp: now,
            lastTimestamp: now,
            source: { component: COMPONENT, host: node },
            reportingComponent: COMPONENT,
            reportingInstance: node,
          },
        });
      }
      log.info('event recorded', { reason, message, count: s.count });
    } catch (err) {
      log.warn('could not record a Kubernetes event', { reason, error: err });
      s.event = undefined;
    }
  }
}
