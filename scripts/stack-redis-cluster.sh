# Sourced by scripts/stack.sh: `up redis-cluster` starts a Redis Cluster of three primaries
# with a replica each, on six ports from REDIS_CLUSTER_PORT (opt-in, never in the default
# set). The app uses it with REDIS_CLUSTER_NODES=127.0.0.1:<port>,… and the stack's password
# in REDIS_URL (docs/deployment.md).

REDIS_CLUSTER_PORT=${STACK_REDIS_CLUSTER_PORT:-$((6390 + PORT_OFFSET))}
REDIS_CLUSTER_DIR=$DATA_DIR/redis-cluster

redis_cluster_ports() { seq "$REDIS_CLUSTER_PORT" $((REDIS_CLUSTER_PORT + 5)); }

redis_cluster_cli() {
  local port=$1
  shift
  REDISCLI_AUTH=$REDIS_PASSWORD redis-cli -h 127.0.0.1 -p "$port" "$@"
}

redis_cluster_ready() {
  redis_cluster_cli "$REDIS_CLUSTER_PORT" cluster info 2>/dev/null | tr -d '\r' | grep -qx 'cluster_state:ok'
}

redis_cluster_node_up() {
  local port=$1 dir=$REDIS_CLUSTER_DIR/$1
  local pidfile=$RUN_DIR/redis-cluster-$port.pid
  pid_alive "$pidfile" && return
  port_in_use "$port" && die "port $port is taken by a Redis the stack did not start (STACK_REDIS_CLUSTER_PORT moves the cluster)"
  mkdir -p "$dir"
  chmod 700 "$dir"
  (
    umask 077
    # masterauth: a replica authenticates to its primary with the same password.
    printf '%s\n' '# Written by scripts/stack.sh on every start.' \
      'bind 127.0.0.1' 'protected-mode yes' "port $port" "requirepass $REDIS_PASSWORD" \
      "masterauth $REDIS_PASSWORD" 'cluster-enabled yes' 'cluster-config-file nodes.conf' \
      'cluster-node-timeout 3000' "dir \"$dir\"" 'daemonize yes' "pidfile \"$pidfile\"" \
      "logfile \"$LOG_DIR/redis-cluster-$port.log\"" 'appendonly yes' 'save ""' >"$dir/redis.conf"
  )
  redis-server "$dir/redis.conf" >/dev/null
}

redis_cluster_up() {
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    apt_install redis-server
    stop_distro_service redis-server
  fi
  local port nodes=()
  for port in $(redis_cluster_ports); do
    redis_cluster_node_up "$port"
    nodes+=("127.0.0.1:$port")
  done
  for port in $(redis_cluster_ports); do
    wait_for "redis-cluster node $port" "$LOG_DIR/redis-cluster-$port.log" \
      redis_cluster_cli "$port" ping
  done
  # A node that remembers its cluster (nodes.conf) rejoins it; only a new one is created.
  if ! redis_cluster_ready &&
    [ "$(redis_cluster_cli "$REDIS_CLUSTER_PORT" cluster info | tr -d '\r' | sed -n 's/^cluster_known_nodes://p')" = 1 ]; then
    log "redis-cluster: creating 3 primaries with a replica each on ${nodes[*]}"
    REDISCLI_AUTH=$REDIS_PASSWORD redis-cli --cluster create "${nodes[@]}" \
      --cluster-replicas 1 --cluster-yes >"$LOG_DIR/redis-cluster-create.log" 2>&1 ||
      die "redis-cluster: create failed, see $LOG_DIR/redis-cluster-create.log"
  fi
  wait_for redis-cluster "$LOG_DIR/redis-cluster-create.log" redis_cluster_ready
}

redis_cluster_down() {
  local port
  for port in $(redis_cluster_ports); do
    if pid_alive "$RUN_DIR/redis-cluster-$port.pid"; then
      stop_process "$RUN_DIR/redis-cluster-$port.pid" "$port"
    fi
  done
}

redis_cluster_status() {
  if redis_cluster_ready; then
    status_line redis-cluster up "127.0.0.1:$REDIS_CLUSTER_PORT+5" "$(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')"
  else
    status_line redis-cluster down "127.0.0.1:$REDIS_CLUSTER_PORT+5" "-"
    return 1
  fi
}
