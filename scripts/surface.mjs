// The exported surface of each workspace package: how many names each entry
// point in its package.json "exports" gives, and how many of those another
// package (or a test outside the package) imports. `node scripts/surface.mjs`
// prints a table; `--json` prints the same as JSON. Used to keep the public
// surface small (CONTRIBUTING.md).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const pkgDirs = ['packages', 'tools']
  .flatMap((d) => readdirSync(join(root, d)).map((n) => join(root, d, n)))
  .filter((d) => {
    try {
      return statSync(join(d, 'package.json')).isFile();
    } catch {
      return false;
    }
  });
const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
const program = ts.createProgram(config.fileNames, config.options);
const checker = program.getTypeChecker();

const entries = []; // { pkg, spec, file, names }
for (const dir of pkgDirs) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const [sub, target] of Object.entries(pkg.exports ?? {})) {
    const file = resolve(dir, typeof target === 'string' ? target : target.default);
    const sf = program.getSourceFile(file);
    if (!sf) continue;
    const names = checker.getExportsOfModule(checker.getSymbolAtLocation(sf)).map((s) => s.name);
    entries.push({ pkg: pkg.name, dir, file, spec: sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`, names });
  }
}

// Which names are imported from each entry by a file outside the entry's own
// src/ (another package, or the package's tests): the entry's real users.
const byFile = new Map(entries.map((e) => [e.file, e]));
const used = new Map(entries.map((e) => [e.spec, new Set()]));
for (const sf of program.getSourceFiles()) {
  if (sf.fileName.includes('node_modules')) continue;
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) && !ts.isExportDeclaration(st)) continue;
    const spec = st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : undefined;
    if (!spec) continue;
    const resolved = ts.resolveModuleName(spec, sf.fileName, config.options, ts.sys).resolvedModule?.resolvedFileName;
    const entry = resolved && byFile.get(resolve(resolved));
    if (!entry || sf.fileName.startsWith(`${entry.dir}/src/`)) continue;
    const clause = ts.isImportDeclaration(st) ? st.importClause?.namedBindings : st.exportClause;
    if (clause && (ts.isNamedImports(clause) || ts.isNamedExports(clause))) {
      for (const el of clause.elements) used.get(entry.spec).add((el.propertyName ?? el.name).text);
    } else {
      for (const n of entry.names) used.get(entry.spec).add(n); // a namespace import or export *: all of it
    }
  }
}

const rows = entries.map((e) => ({
  entry: e.spec,
  exported: e.names.length,
  used: e.names.filter((n) => used.get(e.spec).has(n)).length,
  unused: e.names.filter((n) => !used.get(e.spec).has(n)),
}));
if (process.argv.includes('--json')) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  const w = Math.max(...rows.map((r) => r.entry.length));
  console.log(`${'entry'.padEnd(w)}  exported  used (by other packages or tests)`);
  for (const r of rows) console.log(`${r.entry.padEnd(w)}  ${String(r.exported).padStart(8)}  ${String(r.used).padStart(4)}`);
  console.log(
    `${'total'.padEnd(w)}  ${String(rows.reduce((a, r) => a + r.exported, 0)).padStart(8)}  ${String(rows.reduce((a, r) => a + r.used, 0)).padStart(4)}`,
  );
}
