#!/usr/bin/env bash
# make check: the quick guard rails, without root and in seconds. `make test`
# runs it first; the pre-commit hook (.githooks/pre-commit) runs it too.
#   1. Biome: the formatter and the linter (biome.json says which rules, and why some are off)
#   2. tsc: strict types, no unused locals or parameters
#   3. the CNI hot path's invariants (scripts/check/hot-path.mjs)
#   4. `duplicates --change`, where the machine has it: code your change wrote again (a list to read, not a verdict)
# FIX=1 make check lets Biome rewrite what it can fix safely.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=node_modules/.bin

if [ "${FIX:-}" = 1 ]; then "$bin/biome" check --write .; else "$bin/biome" check --error-on-warnings --reporter=summary .; fi
"$bin/tsc" --noEmit -p .
echo "tsc: no type errors"
node scripts/check/hot-path.mjs
if command -v duplicates >/dev/null 2>&1; then
  out=$(duplicates --change)
  case "$out" in
    "no duplicates"*) echo "duplicates: your change repeats nothing" ;;
    *) printf 'duplicates in your change (read them; merge where the logic is really the same):\n%s\n' "$out" ;;
  esac
fi
