#!/bin/sh
# Lay out what the Cello image ships, from a built tree (pnpm install, then
# node scripts/build.mjs). The Dockerfile runs it; its test runs it too.
#
#   OUT/bin/            every command's bundle, and bin/package.json (CommonJS)
#   OUT/node_modules/   the bundles' one external module, better-sqlite3 (its
#                       lib/, package.json and the compiled addon), and what it
#                       requires: bindings, file-uri-to-path
#   OUT/manifests/      the conflists cello-agent installs (cni/, cilium/)
#
# Usage: assemble.sh ROOT OUT
set -eu
ROOT=${1:?usage: assemble.sh ROOT OUT}
OUT=${2:?usage: assemble.sh ROOT OUT}

for b in cello-agent cello-cni cello-eni cello-gc cello-ipam cello-link; do
  if [ ! -f "$ROOT/bin/$b" ]; then
    echo "assemble.sh: $ROOT/bin/$b is missing: build first (node scripts/build.mjs)" >&2
    exit 1
  fi
done

mkdir -p "$OUT/bin" "$OUT/node_modules" "$OUT/manifests/cni" "$OUT/manifests/cilium"
for b in cello-agent cello-cni cello-eni cello-gc cello-ipam cello-link package.json; do
  cp "$ROOT/bin/$b" "$OUT/bin/$b"
done

# Where node resolves the modules from bin/ (pnpm keeps them under node_modules/.pnpm).
resolve() { (cd "$ROOT/bin" && node -e "
  const { createRequire } = require('node:module');
  const { dirname, join } = require('node:path');
  const { realpathSync } = require('node:fs');
  const at = (from, name) => dirname(realpathSync(createRequire(join(from, 'x')).resolve(name + '/package.json')));
  const sqlite = at(process.cwd(), 'better-sqlite3');
  const bindings = at(sqlite, 'bindings');
  console.log([sqlite, bindings, at(bindings, 'file-uri-to-path')].join(' '));
"); }
set -- $(resolve)
SQLITE=$1 BINDINGS=$2 FILEURI=$3

mkdir -p "$OUT/node_modules/better-sqlite3/build/Release"
cp -R "$SQLITE/package.json" "$SQLITE/lib" "$OUT/node_modules/better-sqlite3/"
cp "$SQLITE/build/Release/better_sqlite3.node" "$OUT/node_modules/better-sqlite3/build/Release/"
for m in "$BINDINGS" "$FILEURI"; do
  name=$(basename "$m")
  mkdir -p "$OUT/node_modules/$name"
  for f in "$m"/*; do
    [ "$(basename "$f")" = node_modules ] || cp -R "$f" "$OUT/node_modules/$name/"
  done
done

cp "$ROOT"/manifests/cni/*.conflist "$OUT/manifests/cni/"
cp "$ROOT"/manifests/cilium/*.conflist "$OUT/manifests/cilium/"
echo "assembled $OUT"
