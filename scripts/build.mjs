#!/usr/bin/env node
// Bundle every command into one executable file under bin/.
// A package declares its commands in package.json: "cello": { "bin": { "<name>": "<entry.ts>" } }.
// Native modules (better-sqlite3) stay external and load from node_modules at run time.
import { build } from 'esbuild';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bin');
const only = process.argv.slice(2);

// CommonJS output: it runs the same in bin/ and on a host with no package.json
// (/opt/cni/bin), and Node never has to guess the module format of an
// extensionless file (a guess costs a second parse on every CNI call).
// ESM-only dependencies that read import.meta.url get the bundle's own URL.
const banner = [
  '#!/usr/bin/env node',
  "const __celloImportMetaUrl = require('node:url').pathToFileURL(__filename).href;",
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
      if (!existsSync(join(dir, name, entry))) throw new Error(`${group}/${name}/package.json: cello.bin.${bin} names ${entry}, which does not exist`);
      commands.push({ bin, entry: join(dir, name, entry), external: pkg.cello?.external ?? [] });
    }
  }
}

mkdirSync(outDir, { recursive: true });
// The repo's package.json says "type": "module"; bin/ holds CommonJS bundles.
const binPkg = join(outDir, 'package.json');
const binPkgText = '{ "type": "commonjs" }\n';
if (!existsSync(binPkg) || readFileSync(binPkg, 'utf8') !== binPkgText) {
  writeFileSync(`${binPkg}.tmp-${process.pid}`, binPkgText);
  renameSync(`${binPkg}.tmp-${process.pid}`, binPkg);
}
await Promise.all(
  commands.map(async ({ bin, entry, external }) => {
    // Write beside the target, then rename: a test running during a rebuild
    // never executes a half-written file.
    const outfile = join(outDir, bin);
    const tmpfile = `${outfile}.tmp-${process.pid}`;
    await build({
      entryPoints: [entry],
      outfile: tmpfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      define: { 'import.meta.url': '__celloImportMetaUrl' },
      banner: { js: banner },
      external: ['better-sqlite3', ...external],
      minifyWhitespace: false,
      legalComments: 'none',
      logLevel: 'warning',
    });
    chmodSync(tmpfile, 0o755);
    renameSync(tmpfile, outfile);
  }),
);
console.log(`built ${commands.map((c) => `bin/${c.bin}`).join(' ')}`);
