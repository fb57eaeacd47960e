/**
 * Where the pinned Bun (a devDependency, installed by `make setup` through
 * pnpm) lives in this checkout. Build and tests only: nothing at run time on a
 * node needs Bun, the compiled cello-cni carries its own.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The npm packages that carry Bun, in the order tried (baseline runs on every x86-64 CPU). */
export const BUN_PACKAGES = ['@oven/bun-linux-x64-baseline', '@oven/bun-linux-x64', '@oven/bun-linux-aarch64'] as const;

export function bunPath(root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')): string {
  for (const pkg of BUN_PACKAGES) {
    const p = join(root, 'node_modules', pkg, 'bin', 'bun');
    if (existsSync(p)) return p;
  }
  throw new Error(`no Bun under ${join(root, 'node_modules')} (${BUN_PACKAGES.join(', ')}): run \`make setup\``);
}
