/** Where the bundled `vpc-sim` program is: the server is started from it. */
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function simProgram(): string {
  if (process.env.VPC_SIM_BIN) return process.env.VPC_SIM_BIN;
  const self = fileURLToPath(import.meta.url);
  if (basename(self) === 'vpc-sim') return self; // running as the bundle itself
  const bin = resolve(dirname(self), '../../../../bin/vpc-sim');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`make build\` (or \`node scripts/build.mjs vpc-sim\`) first`);
  return bin;
}
