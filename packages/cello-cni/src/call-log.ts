import { randomBytes } from 'node:crypto';
import { type Logger, createLogger } from '@cello/cli-kit';
import type { Call } from '@cello/cni-types';
import { type CelloNetConf, celloNetConf } from './netconf.ts';
import { asCni } from './node-state.ts';

/** What a verb handler gets besides the call: its settings, its logger, and a place for facts the closing line reports. */
export interface CallScope {
  cfg: CelloNetConf;
  log: Logger;
  note(fields: Record<string, unknown>): void;
}

/** The JSON-lines logger of one CNI call: every line carries a trace id, the verb and the pod. */
export function callLogger(call: Call, cfg: CelloNetConf): Logger {
  const { env } = call;
  return createLogger({
    component: 'cello-cni',
    file: cfg.logFile || undefined,
    level: cfg.logLevel,
    fields: {
      traceId: randomBytes(4).toString('hex'),
      verb: env.command,
      network: call.conf.conf.name,
      containerId: env.containerId || undefined,
      ifname: env.ifname || undefined,
      pod: env.args.podName ? `${env.args.podNamespace ?? ''}/${env.args.podName}` : undefined,
    },
  });
}

/**
 * Run a verb handler with its settings and logger, and close every call with
 * one line: `<VERB> done` (with the noted facts and `ms`) or `<VERB> failed`
 * (with the CNI `code`, the error and `ms`). cello-agent's metrics read these
 * lines. A config too broken to say where to log fails without a log line.
 */
export function logged<T>(handler: (call: Call, scope: CallScope) => Promise<T>): (call: Call) => Promise<T> {
  return async (call) => {
    const cfg = celloNetConf(call.conf);
    const log = callLogger(call, cfg);
    const notes: Record<string, unknown> = {};
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    try {
      const out = await handler(call, { cfg, log, note: (f) => Object.assign(notes, f) });
      log.info(`${call.env.command} done`, { ...notes, ms: ms() });
      return out;
    } catch (err) {
      const e = asCni(err);
      log.error(`${call.env.command} failed`, { ...notes, code: e.code, error: e.message, ms: ms() });
      throw e;
    }
  };
}
