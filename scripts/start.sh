#!/usr/bin/env bash
# `npm start`: install what is missing, bring the stack up, then run the app.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/scripts/lib.sh"
cd "$ROOT"

ensure_node_modules "$ROOT"
bash scripts/stack.sh up
cat <<EOT

  PostgreSQL     ${DATABASE_URL:-postgresql://orders:orders@127.0.0.1:5432/orders}
  Redis          ${REDIS_URL:-redis://127.0.0.1:6379}
  Elasticsearch  ${ELASTICSEARCH_URL:-http://127.0.0.1:9200}
  Temporal       ${TEMPORAL_ADDRESS:-127.0.0.1:7233}
  Temporal UI    http://127.0.0.1:8233

EOT
