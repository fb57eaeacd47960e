export * from './cli.ts';
export * from './input.ts';
export * from './log.ts';
export * from './output.ts';
export * from './redact.ts';
export * from './node-lock.ts';
export * from './state-file.ts';
export * from './watch.ts';
