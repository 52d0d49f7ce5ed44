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
npx biome check .
npx tsc --noEmit
npx tsc --noEmit -p web
npx tsx scripts/migrate.ts
npx vitest run "$@"
