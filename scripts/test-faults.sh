#!/usr/bin/env bash
# `npm run test:faults`: the fault suite (stops and restarts servers of the local stack).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/scripts/lib.sh"
cd "$ROOT"

ensure_node_modules "$ROOT"
bash scripts/stack.sh up
npx vitest run --config vitest.faults.config.ts "$@"
