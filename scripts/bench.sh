#!/usr/bin/env bash
# `npm run bench [-- --quick] [-- --only=<file part>]`: the stack, then every benchmark.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/scripts/lib.sh"
cd "$ROOT"

ensure_node_modules "$ROOT"
bash scripts/stack.sh up >/dev/null
exec node --import tsx bench/run.ts "$@"
