#!/usr/bin/env bash
# `npm run test:faults`: the fault suite. It stops and restarts servers, so it runs on a
# stack of its own (ports +10000, data in .stack-faults/), never the one `npm start` and
# `npm test` use; that stack is stopped at the end (KEEP_FAULT_STACK=1 keeps it running).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/scripts/lib.sh"
cd "$ROOT"

ensure_node_modules "$ROOT"

export STACK_PORT_OFFSET=${STACK_PORT_OFFSET:-10000}
export STACK_DATA_DIR=${STACK_FAULTS_DATA_DIR:-$ROOT/.stack-faults}
export FAULT_STACK=1
# The stack script must see no app URLs, or it would treat the servers as external.
unset DATABASE_URL REDIS_URL ELASTICSEARCH_URL TEMPORAL_ADDRESS

stop_fault_stack() {
  # Without the app's URLs, which are set below for the tests: with them the stack script
  # would take the servers for external ones and leave them running.
  [ "${KEEP_FAULT_STACK:-0}" = 1 ] ||
    env -u DATABASE_URL -u REDIS_URL -u ELASTICSEARCH_URL -u TEMPORAL_ADDRESS bash scripts/stack.sh down
}
trap stop_fault_stack EXIT
bash scripts/stack.sh up

export DATABASE_URL=postgresql://orders:orders@127.0.0.1:$((5432 + STACK_PORT_OFFSET))/orders_test
export REDIS_URL=redis://:orders@127.0.0.1:$((6379 + STACK_PORT_OFFSET))
export ELASTICSEARCH_URL=http://127.0.0.1:$((9200 + STACK_PORT_OFFSET))
export TEMPORAL_ADDRESS=127.0.0.1:$((7233 + STACK_PORT_OFFSET))
npx vitest run --config vitest.faults.config.ts "$@"
