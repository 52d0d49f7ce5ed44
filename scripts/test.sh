#!/usr/bin/env bash
# `npm test`: install what is missing, bring the stack up, then lint, type-check and run
# every test against the real servers.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/scripts/lib.sh"
cd "$ROOT"

ensure_node_modules "$ROOT"
bash scripts/stack.sh up
bash scripts/stack.sh browser
bash scripts/build-web.sh
# Independent of each other: side by side, each with its own output; any failure stops the
# run before the tests (after all of them ended, so every problem is reported at once).
pids=()
npx biome check . & pids+=($!)
npx tsc --noEmit & pids+=($!)
npx tsc --noEmit -p web & pids+=($!)
# The typed client's package entry, which test/client-package.test.ts installs elsewhere.
npm run --silent build:client & pids+=($!)
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
[ "$failed" = 0 ] || exit 1
npx vitest run "$@"
