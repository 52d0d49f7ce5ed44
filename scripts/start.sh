#!/usr/bin/env bash
# `npm start`: install what is missing, bring the stack up, then run the app.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/scripts/lib.sh"
cd "$ROOT"

ensure_node_modules "$ROOT"
bash scripts/stack.sh up
bash scripts/build-web.sh
exec npx tsx scripts/app.ts "$@"
