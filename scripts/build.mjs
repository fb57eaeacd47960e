#!/usr/bin/env node
// Bundle every command into one executable file under bin/.
// A package declares its commands in package.json: "cello": { "bin": { "<name>": "<entry.ts>" } }.
// Native modules (better-sqlite3) stay external and load from node_modules at run time.
//
// "cello": { "deferred": ["src/cli.ts"] } keeps a module out of the bundle's
// parsed code: it is bundled on its own and embedded as a string, compiled
// only when something imports it. cello-cni defers its operator CLI (yargs and
// all, ~275 KB) so a CNI call does not pay to parse it (~8 ms of ~70).
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
      const deferred = (pkg.cello?.deferred ?? []).map((m) => join(dir, name, m));
      commands.push({ bin, entry: join(dir, name, entry), external: pkg.cello?.external ?? [], deferred });
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
const options = (external) => ({
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  define: { 'import.meta.url': '__celloImportMetaUrl' },
  external: ['better-sqlite3', ...external],
  legalComments: 'none',
  logLevel: 'warning',
});

/**
 * Bundle `path` alone and return an ES module that re-exports its exports,
 * compiling the embedded code only when it is first imported.
 */
async function deferredStub(path, external) {
  const inner = await build({ ...options(external), entryPoints: [path], write: false, metafile: true, banner: { js: banner.split('\n')[1] } });
  // The export names, from an ESM build of the same entry (a CommonJS build's metafile does not list them).
  const esm = await build({ ...options(external), format: 'esm', entryPoints: [path], write: false, metafile: true });
  const names = Object.values(esm.metafile.outputs)[0].exports;
  const source = `(function (exports, require, module, __filename, __dirname) {${inner.outputFiles[0].text}\n})`;
  return [
    "import { runInThisContext } from 'node:vm';",
    'const m = { exports: {} };',
    `runInThisContext(${JSON.stringify(source)}, { filename: __filename })(m.exports, require, m, __filename, __dirname);`,
    ...names.map((n) => `export const ${n} = m.exports.${n};`),
  ].join('\n');
}

const deferPlugin = (deferred, external) => ({
  name: 'cello-defer',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) =>
      deferred.includes(args.path) ? { contents: await deferredStub(args.path, external), loader: 'js' } : undefined,
    );
  },
});

await Promise.all(
  commands.map(async ({ bin, entry, external, deferred }) => {
    // Write beside the target, then rename: a test running during a rebuild
    // never executes a half-written file.
    const outfile = join(outDir, bin);
    const tmpfile = `${outfile}.tmp-${process.pid}`;
    await build({
      ...options(external),
      entryPoints: [entry],
      outfile: tmpfile,
      banner: { js: banner },
      plugins: deferred.length ? [deferPlugin(deferred, external)] : [],
    });
    chmodSync(tmpfile, 0o755);
    renameSync(tmpfile, outfile);
  }),
);
console.log(`built ${commands.map((c) => `bin/${c.bin}`).join(' ')}`);
