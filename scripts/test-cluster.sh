#!/usr/bin/env bash
# `npm run test:cluster`: the cluster tier. Two API and two worker processes on a Redis
# Cluster (3 primaries, a replica each), two Elasticsearch nodes, Temporal and PostgreSQL,
# on a stack of its own (ports +20000, data in .stack-cluster/), losing a node of each
# clustered part under load. That stack is stopped at the end, also on failure
# (KEEP_CLUSTER_STACK=1 keeps it running).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/scripts/lib.sh"
cd "$ROOT"

ensure_node_modules "$ROOT"

export STACK_PORT_OFFSET=${STACK_PORT_OFFSET:-20000}
export STACK_DATA_DIR=${STACK_CLUSTER_DATA_DIR:-$ROOT/.stack-cluster}
# The cluster's six nodes from 6379 + offset (their bus ports 10000 above): the stack's
# single Redis, which would sit on the first, is not started.
export STACK_REDIS_CLUSTER_PORT=$((6379 + STACK_PORT_OFFSET))
export STACK_ES_NODES=2
export STACK_ES_HEAP=${STACK_ES_HEAP:-512m}
export CLUSTER_STACK=1
SERVICES=(postgres elasticsearch temporal redis-cluster)
# The stack script must see no app URLs, or it would treat the servers as external.
unset DATABASE_URL REDIS_URL ELASTICSEARCH_URL TEMPORAL_ADDRESS REDIS_CLUSTER_NODES

stop_cluster_stack() {
  [ "${KEEP_CLUSTER_STACK:-0}" = 1 ] ||
    env -u DATABASE_URL -u REDIS_URL -u ELASTICSEARCH_URL -u TEMPORAL_ADDRESS bash scripts/stack.sh down
}
trap stop_cluster_stack EXIT
started=$SECONDS
bash scripts/stack.sh up "${SERVICES[@]}"
log "cluster stack up in $((SECONDS - started))s"

# What differs from a single-node run: only these.
export DATABASE_URL=postgresql://orders:orders@127.0.0.1:$((5432 + STACK_PORT_OFFSET))/orders_test
# With a cluster, REDIS_URL gives only the password (no server is at its address).
export REDIS_URL=redis://:orders@127.0.0.1:1
export REDIS_CLUSTER_NODES=$(seq -s, -f "127.0.0.1:%g" "$STACK_REDIS_CLUSTER_PORT" $((STACK_REDIS_CLUSTER_PORT + 2)))
export ELASTICSEARCH_URL=http://127.0.0.1:$((9200 + STACK_PORT_OFFSET)),http://127.0.0.1:$((9201 + STACK_PORT_OFFSET))
export TEMPORAL_ADDRESS=127.0.0.1:$((7233 + STACK_PORT_OFFSET))
export API_PROCESSES=2
npx vitest run --config vitest.cluster.config.ts "$@"
log "cluster tier done in $((SECONDS - started))s (stack included)"
