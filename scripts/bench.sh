#!/usr/bin/env bash
# `npm run bench [-- <scenario>…] [--quick | --smoke] [flags]`: the stack (moved by
# STACK_PORT_OFFSET, as the benchmarks are), then the benchmarks (bench/run.ts).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/scripts/lib.sh"
cd "$ROOT"

ensure_node_modules "$ROOT"
bash scripts/stack.sh up >/dev/null
exec node --import tsx bench/run.ts "$@"
