export * from './sqlite.ts';
