#!/usr/bin/env bash
# A standalone Temporal server (go.temporal.io/server, the version the CLI embeds) with
# PostgreSQL persistence and SQL visibility, as a local process on 127.0.0.1. Used by
# scripts/stack.sh (TEMPORAL_PERSISTENCE=postgres) and by the benchmarks (--servers postgres).
#
#   temporal-postgres.sh build
#   temporal-postgres.sh up     --port P --db NAME [--data-dir DIR] [--reset] [--ui-port U]
#                               [--log-level LEVEL] [--dynamic-config KEY=JSON]...
#                               [--namespace NAME]...
#   temporal-postgres.sh down   --port P [--data-dir DIR] [--db NAME --reset]
#   temporal-postgres.sh status --port P [--data-dir DIR]
#   temporal-postgres.sh drop   --db NAME
#
# `up` builds the binaries when missing, creates the databases NAME and NAME_visibility,
# applies the schemas, writes the server config, starts the server in the background,
# waits until it answers, and registers namespace `default` (and each `--namespace NAME`)
# with the custom search attributes. It is idempotent. `--reset` drops both databases first (`up`) or after
# stopping (`down`). Ports: frontend gRPC P, frontend HTTP P+1, history/matching/worker
# gRPC P+2..P+4, membership P+5..P+8; so two servers 10 ports apart run side by side.
# `--ui-port U` also runs the Web UI (github.com/temporalio/ui-server, the version the CLI
# embeds; built once) on 127.0.0.1:U.
#
# PostgreSQL: TEMPORAL_PG_HOST (127.0.0.1), TEMPORAL_PG_PORT (5432), TEMPORAL_PG_USER and
# TEMPORAL_PG_PASSWORD (orders/orders, the stack's role; it needs CREATEDB).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

CACHE_DIR=${STACK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/order-reporting}
BIN_DIR=$CACHE_DIR/bin
SERVER_VERSION=v1.29.1 # keep equal to the server inside TEMPORAL_CLI_MODULE (scripts/stack.sh)
SERVER_MODULE=go.temporal.io/server
TEMPORAL_CLI_MODULE=github.com/temporalio/cli/cmd/temporal@v1.5.1
UI_SERVER_MODULE=github.com/temporalio/ui-server/v2/cmd/server@v2.42.1 # the CLI v1.5.1's UI
READY_TIMEOUT=${STACK_READY_TIMEOUT:-180}
# The UI's namespace; `--namespace` adds more (the stack's for tests and benchmarks).
DEFAULT_NAMESPACE=default
NAMESPACE_RETENTION=24h
# Keep in sync with TEMPORAL_SEARCH_ATTRIBUTES in scripts/stack.sh.
SEARCH_ATTRIBUTES=(OrderId=Keyword CommandType=Keyword ProjectionStatus=KeywordList CommandPartitionStatus=Keyword SubscriptionStatus=Keyword)

PG_HOST=${TEMPORAL_PG_HOST:-127.0.0.1}
PG_PORT=${TEMPORAL_PG_PORT:-5432}
PG_USER=${TEMPORAL_PG_USER:-orders}
PG_PASSWORD=${TEMPORAL_PG_PASSWORD:-orders}

SERVER_BIN=$BIN_DIR/temporal-server
SQL_TOOL_BIN=$BIN_DIR/temporal-sql-tool
UI_BIN=$BIN_DIR/temporal-ui-server

say() { log "temporal-postgres: $*"; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# ---------------------------------------------------------------- binaries

built() {
  [ -x "$SERVER_BIN" ] && [ -x "$SQL_TOOL_BIN" ] &&
    "$SERVER_BIN" --version 2>/dev/null | grep -qF " ${SERVER_VERSION#v}"
}

# Builds temporal-server and temporal-sql-tool into the per-user cache, once. A lock keeps
# the stack and a bench that start together from building twice.
cmd_build() {
  built && return 0
  command -v go >/dev/null || die "go not found: install Go >= 1.25 to build the Temporal server"
  mkdir -p "$BIN_DIR"
  exec 9>"$BIN_DIR/.temporal-server.lock"
  command -v flock >/dev/null && flock 9
  if ! built; then
    local tmp started=$SECONDS
    tmp=$(mktemp -d "$BIN_DIR/.build.XXXXXX")
    say "building $SERVER_MODULE $SERVER_VERSION (server and SQL tool) with Go, first run only (a few minutes)"
    GOBIN=$tmp GOFLAGS=${GOFLAGS:--mod=mod} go install \
      "$SERVER_MODULE/cmd/server@$SERVER_VERSION" "$SERVER_MODULE/cmd/tools/sql@$SERVER_VERSION" || {
      rm -rf "$tmp"
      die "go install $SERVER_MODULE/cmd/server@$SERVER_VERSION failed"
    }
    mv -f "$tmp/sql" "$SQL_TOOL_BIN"
    mv -f "$tmp/server" "$SERVER_BIN"
    rm -rf "$tmp"
    say "built in $((SECONDS - started))s: $SERVER_BIN, $SQL_TOOL_BIN"
  fi
  exec 9>&-
}

# The Web UI server, built once when a caller first asks for --ui-port.
build_ui() {
  [ -x "$UI_BIN" ] && return 0
  command -v go >/dev/null || die "go not found: install Go >= 1.25 to build the Temporal UI server"
  mkdir -p "$BIN_DIR"
  local tmp
  tmp=$(mktemp -d "$BIN_DIR/.build.XXXXXX")
  say "building $UI_SERVER_MODULE with Go, first run only"
  GOBIN=$tmp GOFLAGS=${GOFLAGS:--mod=mod} go install "$UI_SERVER_MODULE" || {
    rm -rf "$tmp"
    die "go install $UI_SERVER_MODULE failed"
  }
  mv -f "$tmp/server" "$UI_BIN"
  rm -rf "$tmp"
}

# The module's own directory: its schema/ folder holds the versioned SQL schemas.
server_module_dir() {
  local dir
  dir=$(go mod download -json "$SERVER_MODULE@$SERVER_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [ -d "$dir/schema" ] || die "no schema folder in $SERVER_MODULE@$SERVER_VERSION ($dir)"
  echo "$dir"
}

temporal_cli() {
  if command -v temporal >/dev/null; then command -v temporal; return; fi
  if [ ! -x "$BIN_DIR/temporal" ]; then
    command -v go >/dev/null || die "go not found: install Go >= 1.25 to build the Temporal CLI"
    say "building $TEMPORAL_CLI_MODULE with Go (first run only, a few minutes)"
    GOBIN="$BIN_DIR" go install "$TEMPORAL_CLI_MODULE" >&2 || die "go install $TEMPORAL_CLI_MODULE failed"
  fi
  echo "$BIN_DIR/temporal"
}

# ---------------------------------------------------------------- databases

psql_admin() {
  PGPASSWORD=$PG_PASSWORD psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "${PSQL_DB:-postgres}" \
    -Atq -v ON_ERROR_STOP=1 "$@"
}

db_exists() { [ -n "$(psql_admin -c "select 1 from pg_database where datname = '$1'")" ]; }

sql_tool() {
  SQL_PASSWORD=$PG_PASSWORD "$SQL_TOOL_BIN" --plugin postgres12 --ep "$PG_HOST" -p "$PG_PORT" \
    -u "$PG_USER" "$@"
}

# schema_up DB SCHEMA_DIR: creates DB when missing and brings its schema to the newest version.
schema_up() {
  local db=$1 dir=$2 log_file=$3
  if ! db_exists "$db"; then
    say "creating database $db"
    psql_admin -c "create database \"$db\""
  fi
  if [ -z "$(PSQL_DB=$db psql_admin -c "select 1 from pg_tables where tablename = 'schema_version'")" ]; then
    sql_tool --db "$db" setup-schema -v 0.0 >>"$log_file" 2>&1 ||
      die "setup-schema of $db failed. Log: $log_file"
  fi
  # Applies only the versions newer than the database's (a no-op when current).
  sql_tool --db "$db" update-schema -d "$dir" >>"$log_file" 2>&1 ||
    die "update-schema of $db failed. Log: $log_file"
  say "$db at schema $(PSQL_DB=$db psql_admin -c 'select curr_version from schema_version limit 1')"
}

cmd_drop() {
  local db
  for db in "$DB" "${DB}_visibility"; do
    if db_exists "$db"; then
      say "dropping database $db"
      psql_admin -c "drop database \"$db\" with (force)"
    fi
  done
}

# ---------------------------------------------------------------- server

# store_yaml DB MAX_CONNS: one SQL datastore of the server config.
store_yaml() {
  cat <<EOF
      sql:
        pluginName: postgres12
        databaseName: $1
        connectAddr: "$PG_HOST:$PG_PORT"
        connectProtocol: tcp
        user: "$PG_USER"
        password: "$PG_PASSWORD"
        maxConns: $2
        maxIdleConns: $2
        maxConnLifetime: 1h
EOF
}

write_config() {
  local dir=$1 p=$PORT
  mkdir -p "$dir/config"
  # Same dynamic config as the CLI's dev server sets (temporalcli/devserver/server.go), so
  # the two compare like for like; then the caller's --dynamic-config pairs.
  {
    echo "# Written by scripts/temporal-postgres.sh; rewritten on every up."
    printf 'history.hostLevelCacheMaxSize:\n  - value: 8096\n'
    printf 'frontend.namespaceRPS.visibility:\n  - value: 100\n'
    local pair
    for ns in "${NAMESPACES[@]}"; do
  [[ $ns =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$ ]] || die "--namespace $ns: letters, digits, . _ -"
done
for pair in "${DYNAMIC_CONFIG[@]}"; do
      printf '%s:\n  - value: %s\n' "${pair%%=*}" "${pair#*=}"
    done
  } >"$dir/config/dynamicconfig.yaml"
  cat >"$dir/config/development.yaml" <<EOF
# Written by scripts/temporal-postgres.sh; rewritten on every up.
log:
  stdout: true
  level: $LOG_LEVEL
  format: json

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  # Fixed at the cluster's first start (stored in cluster metadata); see docs/stack.md, "Temporal on PostgreSQL".
  numHistoryShards: 4
  datastores:
    postgres-default:
$(store_yaml "$DB" 20)
    postgres-visibility:
$(store_yaml "${DB}_visibility" 10)

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1

services:
  frontend:
    rpc: { grpcPort: $p, httpPort: $((p + 1)), membershipPort: $((p + 5)), bindOnIP: 127.0.0.1 }
  history:
    rpc: { grpcPort: $((p + 2)), membershipPort: $((p + 6)), bindOnIP: 127.0.0.1 }
  matching:
    rpc: { grpcPort: $((p + 3)), membershipPort: $((p + 7)), bindOnIP: 127.0.0.1 }
  worker:
    rpc: { grpcPort: $((p + 4)), membershipPort: $((p + 8)), bindOnIP: 127.0.0.1 }

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:$p"
      httpAddress: "127.0.0.1:$((p + 1))"

dcRedirectionPolicy:
  policy: noop

archival:
  history: { state: disabled }
  visibility: { state: disabled }
namespaceDefaults:
  archival:
    history: { state: disabled }
    visibility: { state: disabled }

publicClient:
  hostPort: "127.0.0.1:$p"

dynamicConfigClient:
  filepath: "$dir/config/dynamicconfig.yaml"
  pollInterval: 10s
EOF
}

address() { echo "127.0.0.1:$PORT"; }

cluster_ready() { "$TEMPORAL" operator cluster health --address "$(address)" 2>/dev/null | grep -q SERVING; }

namespace_ready() {
  "$TEMPORAL" operator namespace describe --address "$(address)" --namespace "$1" >/dev/null 2>&1
}

# Every custom search attribute registered and usable: listed for namespace $1.
search_attributes_ready() {
  local listed sa
  listed=$("$TEMPORAL" operator search-attribute list --address "$(address)" --namespace "$1" 2>/dev/null) ||
    return 1
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do
    grep -qE "^ *${sa%%=*} +${sa#*=} *$" <<<"$listed" || return 1
  done
}

# wait_until WHAT CHECK...: polls CHECK until it succeeds, the server dies, or the timeout.
wait_until() {
  local what=$1
  shift
  local deadline=$((SECONDS + READY_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    pid_alive "$PID_FILE" || {
      tail -n 20 "$LOG_FILE" >&2
      die "the server on $(address) exited while waiting for $what. Log: $LOG_FILE"
    }
    if [ $SECONDS -ge $deadline ]; then
      tail -n 20 "$LOG_FILE" >&2
      die "$what not ready after ${READY_TIMEOUT}s on $(address). Log: $LOG_FILE"
    fi
    sleep 1
  done
}

# register NAMESPACE: the namespace and every custom search attribute in it.
register() {
  local ns=$1
  if ! namespace_ready "$ns"; then
    say "registering namespace $ns (retention $NAMESPACE_RETENTION)"
    "$TEMPORAL" operator namespace create --address "$(address)" --namespace "$ns" \
      --retention "$NAMESPACE_RETENTION" >/dev/null
  fi
  wait_until "namespace $ns" namespace_ready "$ns"
  search_attributes_ready "$ns" && return
  local sa names=() types=()
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do
    names+=(--name "${sa%%=*}")
    types+=(--type "${sa#*=}")
  done
  say "registering search attributes ${SEARCH_ATTRIBUTES[*]} in $ns"
  # Retried: a namespace just created is "not found" here until the frontend's namespace
  # cache refreshes (up to 10 s). Creating one that exists with the same type is a no-op.
  wait_until "search attributes" "$TEMPORAL" operator search-attribute create --address "$(address)" \
    --namespace "$ns" "${names[@]}" "${types[@]}"
  wait_until "search attributes" search_attributes_ready "$ns"
}

register_all() {
  local ns
  for ns in "$DEFAULT_NAMESPACE" "${NAMESPACES[@]}"; do register "$ns"; done
}

ui_ready() { curl -fsS -m 5 -o /dev/null "http://127.0.0.1:$UI_PORT/"; }

ui_up() {
  [ -n "$UI_PORT" ] || return 0
  build_ui
  if ! pid_alive "$UI_PID_FILE"; then
    port_in_use "$UI_PORT" && die "UI port $UI_PORT is taken; stop what uses it or pick another --ui-port"
    mkdir -p "$DATA/ui/config"
    cat >"$DATA/ui/config/development.yaml" <<EOF
# Written by scripts/temporal-postgres.sh; as the CLI's dev server configures its UI.
host: 127.0.0.1
port: $UI_PORT
temporalGrpcAddress: "$(address)"
enableUi: true
defaultNamespace: $DEFAULT_NAMESPACE
cors:
  cookieInsecure: true
hideLogs: true
EOF
    say "starting the Web UI on http://127.0.0.1:$UI_PORT"
    setsid "$UI_BIN" --root "$DATA/ui" --config config --env development start \
      >>"$DATA/temporal-ui.log" 2>&1 </dev/null &
    echo $! >"$UI_PID_FILE"
  fi
  PID_FILE=$UI_PID_FILE LOG_FILE=$DATA/temporal-ui.log wait_until "Web UI" ui_ready
}

cmd_up() {
  [ -n "$DB" ] || die "up needs --db NAME"
  cmd_build
  TEMPORAL=$(temporal_cli)
  mkdir -p "$DATA"
  if pid_alive "$PID_FILE"; then
    [ "$RESET" = 1 ] && die "--reset: the server on $(address) is running; run down first"
    wait_until "cluster" cluster_ready
    register_all
    ui_up
    return
  fi
  local p
  for p in $(seq "$PORT" $((PORT + 8))); do
    port_in_use "$p" && die "port $p is taken (this server needs $PORT..$((PORT + 8))); stop what uses it or pick another --port"
  done
  [ "$RESET" = 1 ] && cmd_drop
  local mod
  mod=$(server_module_dir)
  schema_up "$DB" "$mod/schema/postgresql/v12/temporal/versioned" "$DATA/schema.log"
  schema_up "${DB}_visibility" "$mod/schema/postgresql/v12/visibility/versioned" "$DATA/schema.log"
  write_config "$DATA"
  say "starting server $SERVER_VERSION on $(address) (databases $DB, ${DB}_visibility; log $LOG_FILE)"
  # setsid: the server outlives the shell that started it.
  setsid "$SERVER_BIN" --root "$DATA" --config config --env development --allow-no-auth start \
    >>"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  wait_until "cluster" cluster_ready
  register_all
  ui_up
  say "ready on $(address)"
}

stop_pid() {
  local pidfile=$1 what=$2 pid i
  if pid_alive "$pidfile"; then
    say "stopping $what"
    pid=$(cat "$pidfile")
    kill "$pid"
    for i in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$pidfile"
}

cmd_down() {
  stop_pid "$UI_PID_FILE" "the Web UI"
  stop_pid "$PID_FILE" "the server on $(address)"
  if [ "$RESET" = 1 ]; then
    [ -n "$DB" ] || die "--reset needs --db NAME"
    cmd_drop
  fi
}

cmd_status() {
  local v
  TEMPORAL=$(temporal_cli)
  if v=$("$TEMPORAL" operator cluster describe --address "$(address)" -o json 2>/dev/null |
    grep -o '"serverVersion": *"[^"]*"' | cut -d'"' -f4) && [ -n "$v" ]; then
    local ui=""
    pid_alive "$UI_PID_FILE" && ui="  ui=http://127.0.0.1:$(sed -n 's/^port: //p' "$DATA/ui/config/development.yaml")"
    echo "up $(address) $v$ui"
  else
    echo "down $(address)"
    return 1
  fi
}

# ---------------------------------------------------------------- arguments

usage() {
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" >&2
  exit 2
}

COMMAND=${1:-}
[ -n "$COMMAND" ] || usage
shift
PORT="" DB="" DATA="" RESET=0 LOG_LEVEL=warn DYNAMIC_CONFIG=() UI_PORT="" NAMESPACES=()
while [ $# -gt 0 ]; do
  case $1 in
    --port) PORT=${2:?--port needs a value}; shift 2 ;;
    --db) DB=${2:?--db needs a value}; shift 2 ;;
    --data-dir) DATA=${2:?--data-dir needs a value}; shift 2 ;;
    --reset) RESET=1; shift ;;
    --ui-port) UI_PORT=${2:?--ui-port needs a value}; shift 2 ;;
    --log-level) LOG_LEVEL=${2:?--log-level needs a value}; shift 2 ;;
    --dynamic-config) DYNAMIC_CONFIG+=("${2:?--dynamic-config needs KEY=JSON}"); shift 2 ;;
    --namespace) NAMESPACES+=("${2:?--namespace needs a value}"); shift 2 ;;
    -h | --help) usage ;;
    *) die "unknown argument: $1" ;;
  esac
done
[ -z "$UI_PORT" ] || [[ $UI_PORT =~ ^[0-9]+$ ]] || die "--ui-port: a port number"
[ -z "$DB" ] || [[ $DB =~ ^[a-z_][a-z0-9_]{0,40}$ ]] || die "--db: lower-case letters, digits and _"
for ns in "${NAMESPACES[@]}"; do
  [[ $ns =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$ ]] || die "--namespace $ns: letters, digits, . _ -"
done
for pair in "${DYNAMIC_CONFIG[@]}"; do
  [[ $pair =~ ^[A-Za-z0-9_.]+=.+$ ]] || die "--dynamic-config $pair: KEY=JSON"
done
case $COMMAND in
  up | down | status)
    [[ $PORT =~ ^[0-9]+$ ]] || die "$COMMAND needs --port P"
    DATA=${DATA:-${STACK_DATA_DIR:-$ROOT/.stack}/temporal-postgres-$PORT}
    [ "$COMMAND" = up ] && mkdir -p "$DATA"
    [ -d "$DATA" ] && DATA=$(cd "$DATA" && pwd)
    PID_FILE=$DATA/temporal-server.pid
    LOG_FILE=$DATA/temporal-server.log
    UI_PID_FILE=$DATA/temporal-ui.pid
    ;;
esac
case $COMMAND in
  build) cmd_build ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  drop) [ -n "$DB" ] || die "drop needs --db NAME"; cmd_drop ;;
  *) usage ;;
esac
