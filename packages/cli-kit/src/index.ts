export { runMain, UsageError, CommandError } from './cli.ts';
export { readJsonInput } from './input.ts';
export { createLogger, type LoggerOptions, type Logger } from './log.ts';
export { resolveFormat, formatTable, emit, keyValueColumns, type OutputFormat, type Column } from './output.ts';
export { redact, REDACTED, isSecretKey } from './redact.ts';
export { sha1Hex } from './sha1.ts';
export { podLockName, tryLock, waitLock, isLocked, KEEPER_LOCK, type NodeLock } from './node-lock.ts';
export { fsyncPath, tmpPath, writeFileAtomic, writeJsonFile, readJsonFile, TMP_PREFIX } from './state-file.ts';
export { stopOnSignals, untilStopped, nextDelayMs, repeat } from './watch.ts';
