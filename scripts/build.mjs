#!/usr/bin/env node
// Bundle every command into one executable file under bin/.
// A package declares its commands in package.json: "cello": { "bin": { "<name>": "<entry.ts>" } }.
// Native modules (better-sqlite3) stay external and load from node_modules at run time.
import { build } from 'esbuild';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bin');
const only = process.argv.slice(2);

const banner = [
  '#!/usr/bin/env node',
  "import { createRequire as __celloCreateRequire } from 'node:module';",
  'const require = __celloCreateRequire(import.meta.url);',
].join('\n');

const commands = [];
for (const group of ['packages', 'tools']) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const pkgFile = join(dir, name, 'package.json');
    if (!existsSync(pkgFile)) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
    for (const [bin, entry] of Object.entries(pkg.cello?.bin ?? {})) {
      if (only.length && !only.includes(bin)) continue;
      commands.push({ bin, entry: join(dir, name, entry), external: pkg.cello?.external ?? [] });
    }
  }
}

mkdirSync(outDir, { recursive: true });
await Promise.all(
  commands.map(async ({ bin, entry, external }) => {
    const outfile = join(outDir, bin);
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      banner: { js: banner },
      external: ['better-sqlite3', ...external],
      minifyWhitespace: false,
      legalComments: 'none',
      logLevel: 'warning',
    });
    chmodSync(outfile, 0o755);
  }),
);
console.log(`built ${commands.map((c) => `bin/${c.bin}`).join(' ')}`);
