import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { redact } from './redact.ts';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  component: string;
  /** Append to this file instead of writing to stderr (the CNI binary logs to /var/log/cello/cni.log). */
  file?: string;
  level?: Level;
  /** Fields added to every line, e.g. a trace id. */
  fields?: Record<string, unknown>;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

function levelFromEnv(): Level {
  const l = (process.env.CELLO_LOG_LEVEL ?? '').toLowerCase();
  return l in RANK ? (l as Level) : 'info';
}

/**
 * JSON-lines logger: one object per line with ts, level, component, msg and
 * fields; secrets redacted, errors as { name, message }. Never writes to
 * stdout (that is for data).
 */
export function createLogger(opts: LoggerOptions): Logger {
  const min = RANK[opts.level ?? levelFromEnv()];
  let fileReady = false;
  const write = (line: string) => {
    if (!opts.file) {
      process.stderr.write(line);
      return;
    }
    try {
      if (!fileReady) {
        mkdirSync(dirname(opts.file), { recursive: true, mode: 0o755 });
        fileReady = true;
      }
      appendFileSync(opts.file, line, { mode: 0o600 });
    } catch {
      process.stderr.write(line);
    }
  };
  const log = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < min) return;
    const entry = { ts: new Date().toISOString(), level, component: opts.component, ...opts.fields, msg, ...fields };
    write(`${JSON.stringify(redact(entry))}\n`);
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (fields) => createLogger({ ...opts, fields: { ...opts.fields, ...fields } }),
  };
}
