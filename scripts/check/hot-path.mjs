// The CNI hot path's invariants, checked on what the bundler actually reaches
// from cello-cni's entry (not on what comments promise). cello-cni runs once
// per pod ADD/DEL, so what it imports is start-up time on every call
// (docs/architecture.md, The hot path). Fails, naming the import chain, when:
//   - a heavy or daemon-only library is reached (yargs, @kubernetes/client-node,
//     @volcengine/openapi, prom-client, better-sqlite3 — Bun's SQLite is used);
//   - node:net / node:http / node:https / node:tls are imported (the CNI binary
//     never talks to the network: no cloud credentials, no API calls);
//   - node:crypto is imported statically: loading it costs the compiled binary
//     ≈ 3 ms of CPU on every call (SHA-1 names come from cli-kit's sha1Hex,
//     random ids from the Web Crypto global);
//   - a reached source file reads /sys/class/net (iproute2 is the one way
//     cello-link reads links, so the CNI sees what `ip` sees, in its netns).
// Usage: node scripts/check/hot-path.mjs  (part of `make check`)
import { build } from 'esbuild';
import ts from 'typescript';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const entry = join(root, 'packages/cello-cni/src/main.ts');
const FORBIDDEN_PACKAGES = ['yargs', '@kubernetes/client-node', '@volcengine/openapi', 'prom-client', 'better-sqlite3'];
const FORBIDDEN_BUILTINS = ['net', 'http', 'https', 'http2', 'tls', 'dgram', 'crypto'].flatMap((m) => [m, `node:${m}`]);
const FORBIDDEN_TEXT = ['/sys/class/net'];

/** The string and template literals of a source file (comments say what they like). */
function stringsOf(code) {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, code);
  const out = [];
  for (let k = scanner.scan(); k !== ts.SyntaxKind.EndOfFileToken; k = scanner.scan()) {
    if (k === ts.SyntaxKind.StringLiteral || k === ts.SyntaxKind.NoSubstitutionTemplateLiteral || k === ts.SyntaxKind.TemplateHead)
      out.push(scanner.getTokenValue());
  }
  return out;
}

const { metafile } = await build({
  entryPoints: [entry],
  bundle: true,
  write: false,
  metafile: true,
  platform: 'node',
  format: 'esm',
  logLevel: 'silent',
  external: ['bun:sqlite', 'better-sqlite3'],
});

// Walk what a CNI call evaluates: every import from the entry, static or
// dynamic, except into COLD files (cnitool-style `cello-cni exec` and --help,
// which are loaded only when a person runs them). `via` keeps the chain that
// first reached each file, so a failure names it.
const COLD = new Set(['packages/cello-cni/src/cli.ts']);
const start = relative(root, entry);
const via = new Map([[start, undefined]]);
const queue = [start];
const problems = [];
const chain = (file) => {
  const out = [];
  for (let f = file; f; f = via.get(f)) out.unshift(f);
  return out.join(' → ');
};
while (queue.length) {
  const file = queue.shift();
  const info = metafile.inputs[file];
  if (!info) continue;
  if (!file.includes('node_modules/')) {
    const code = readFileSync(join(root, file), 'utf8');
    for (const t of FORBIDDEN_TEXT) if (stringsOf(code).some((s) => s.includes(t))) problems.push(`${chain(file)} reads ${t}`);
  }
  for (const imp of info.imports) {
    const spec = imp.original ?? imp.path;
    if (imp.external) {
      if (FORBIDDEN_BUILTINS.includes(spec)) problems.push(`${chain(file)} imports ${spec}`);
      continue;
    }
    const pkg = FORBIDDEN_PACKAGES.find((p) => imp.path.includes(`node_modules/${p}/`));
    if (pkg) {
      problems.push(`${chain(file)} imports ${spec} (${pkg})`);
      continue;
    }
    if (COLD.has(imp.path) || via.has(imp.path)) continue;
    via.set(imp.path, file);
    queue.push(imp.path);
  }
}
if (problems.length) {
  console.error(`hot path: cello-cni reaches what it must not (scripts/check/hot-path.mjs says why):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`hot path: a CNI call reaches ${via.size} files (cello-cni's CLI left out), none of them forbidden`);
