#!/usr/bin/env node
// Build every command into one executable file under bin/.
// A package declares its commands in package.json: "cello": { "bin": { "<name>": "<entry.ts>" } }.
//
// Most commands are esbuild bundles run by Node; native modules
// (better-sqlite3) stay external and load from node_modules at run time.
//
// "cello": { "compile": ["<name>"] } makes that command a standalone
// executable instead: `bun build --compile` (Bun pinned in the root
// package.json, installed by pnpm) bundles it with the Bun runtime into one
// file that needs nothing on the host but the kernel and glibc ≥ 2.17.
// cello-cni is built this way: it starts in ~15 ms where a Node bundle takes
// ~125 ms (docs/architecture.md, The hot path). SQLite is bun:sqlite there
// (@cello/runtime); better-sqlite3 is kept out of it.
import { spawn } from 'node:child_process';
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
// A command may ask for V8 flags in its package.json ("cello": { "nodeFlags":
// { "<name>": "--flag" } }); they go in the shebang (`env -S`, coreutils ≥ 8.30),
// so they apply however the command is started by name.
const banner = (nodeFlags) =>
  [
    nodeFlags ? `#!/usr/bin/env -S node ${nodeFlags}` : '#!/usr/bin/env node',
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
      const compile = (pkg.cello?.compile ?? []).includes(bin);
      commands.push({ bin, entry: join(dir, name, entry), external: pkg.cello?.external ?? [], compile, nodeFlags: pkg.cello?.nodeFlags?.[bin] });
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
  // Whitespace and syntax only: names stay, so stack traces still read. Half
  // the bytes (the agent: 8.8 → 4.9 MB), and Node keeps a bundle's whole
  // source in its heap: ≈ 14 MiB less RSS for the resident agent.
  minifyWhitespace: true,
  minifySyntax: true,
});

/** The pinned Bun from node_modules (`make setup`), as @cello/runtime finds it. */
function bunPath() {
  for (const pkg of ['@oven/bun-linux-x64-baseline', '@oven/bun-linux-x64', '@oven/bun-linux-aarch64']) {
    const p = join(root, 'node_modules', pkg, 'bin', 'bun');
    if (existsSync(p)) return p;
  }
  throw new Error('no Bun in node_modules/@oven: run `make setup`');
}

/**
 * `bun build --compile`: ESM with bytecode (parsed ahead of time: `VERSION`
 * in ~15 ms against ~40 ms without), minified. better-sqlite3 is external so
 * it can never be pulled in; the SQLite seam loads bun:sqlite under Bun.
 */
function compile(entry, outfile, external) {
  // No .env or bunfig.toml from the working directory: a CNI plugin runs wherever its runtime
  // started it, and neither file may change what it does (nor cost a lookup on every call).
  const args = [
    'build',
    '--compile',
    '--no-compile-autoload-dotenv',
    '--no-compile-autoload-bunfig',
    '--minify',
    '--bytecode',
    // A CNI call runs for ~30 ms, nearly all of it code that runs once: JavaScriptCore's JIT
    // threads would compile functions the call never runs again. A tier-up threshold scaled
    // ×1000 keeps them in the interpreter (docs/cello-cni.md, Start-up: ≈ 2 ms of CPU per call).
    '--compile-jit-policy=1000',
    // Code reached only by dynamic import (cello-cni's operator CLI and yargs) goes in chunks of
    // its own, loaded on that import: the Node built-ins it imports (util, assert, url,
    // child_process) are then not loaded on every CNI call (≈ 2 ms of CPU each call).
    '--splitting',
    '--format=esm',
    '--target=bun',
    '--outfile',
    outfile,
  ];
  for (const e of ['better-sqlite3', ...external]) args.push('--external', e);
  args.push(entry);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(bunPath(), args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolvePromise() : reject(new Error(`bun build ${entry} failed (${code}):\n${out}`))));
  });
}

await Promise.all(
  commands.map(async ({ bin, entry, external, compile: compiled, nodeFlags }) => {
    // Write beside the target, then rename: a test running during a rebuild
    // never executes a half-written file.
    const outfile = join(outDir, bin);
    const tmpfile = `${outfile}.tmp-${process.pid}`;
    if (compiled) await compile(entry, tmpfile, external);
    else await build({ ...options(external), entryPoints: [entry], outfile: tmpfile, banner: { js: banner(nodeFlags) } });
    chmodSync(tmpfile, 0o755);
    renameSync(tmpfile, outfile);
  }),
);
console.log(`built ${commands.map((c) => `bin/${c.bin}`).join(' ')}`);
