export * from './versions.ts';
export * from './errors.ts';
export * from './types.ts';
export * from './env.ts';
export * from './config.ts';
export * from './result.ts';
export * from './skel.ts';
