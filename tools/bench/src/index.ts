export * from './hyperfine.ts';
export * from './report.ts';
