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
    log "installing npm dependencies"
    # Not `npm ci`: registries that serve only this platform's optional packages leave
    # the others out of the lock file, and `npm ci` then refuses it as out of sync.
    (cd "$root" && npm install --no-audit --no-fund --loglevel=error)
  fi
}
