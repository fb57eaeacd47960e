/**
 * The package's logger: cli-kit's JSON lines (secret-looking keys redacted)
 * with every known secret value scrubbed from messages and fields too.
 */
import { createLogger, type Logger, type LoggerOptions } from '@cello/cli-kit';
import { scrubDeep, scrubSecrets } from './credentials/secrets.ts';

function scrubbing(inner: Logger): Logger {
  const wrap = (fn: Logger['info']) => (msg: string, fields?: Record<string, unknown>) => fn(scrubSecrets(msg), fields && scrubDeep(fields));
  return {
    debug: wrap(inner.debug),
    info: wrap(inner.info),
    warn: wrap(inner.warn),
    error: wrap(inner.error),
    child: (fields) => scrubbing(inner.child(scrubDeep(fields))),
  };
}

export function eniLogger(opts: Partial<LoggerOptions> = {}): Logger {
  return scrubbing(createLogger({ component: 'cello-eni', ...opts }));
}

/** A logger that drops everything (library callers that pass none). */
export const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => SILENT };
