#!/usr/bin/env bash
# `npm run temporal -- <args>`: the Temporal CLI the stack uses (on PATH, or the one
# `npm run stack -- up` built), pointed at the app's server and namespace, so the docs'
# `temporal …` commands work without putting anything on PATH.
set -euo pipefail
CACHE_DIR=${STACK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/order-reporting}
bin=$(command -v temporal || echo "$CACHE_DIR/bin/temporal")
if [ ! -x "$bin" ]; then
  echo "temporal CLI not found on PATH nor in $CACHE_DIR/bin: run 'npm run stack -- up' once (it builds it)" >&2
  exit 1
fi
# The CLI reads these itself (its environment config); the same defaults as the app's.
export TEMPORAL_ADDRESS=${TEMPORAL_ADDRESS:-127.0.0.1:$((7233 + ${STACK_PORT_OFFSET:-0}))}
export TEMPORAL_NAMESPACE=${TEMPORAL_NAMESPACE:-default}
exec "$bin" "$@"
