# Shared helpers for the project's shell scripts (sourced, not run).

log() { printf '[stack] %s\n' "$*" >&2; }
err() { printf '[stack] error: %s\n' "$*" >&2; }
die() {
  err "$*"
  exit 1
}

# Installs npm dependencies when they are missing or older than the lock file.
ensure_node_modules() {
  local root=$1
  if [ ! -f "$root/node_modules/.package-lock.json" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
    log "installing npm dependencies (npm ci)"
    (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
