#!/usr/bin/env bash
# Builds the web workspace (web/ -> web/dist, served by the API at /) when it is missing or
# older than its sources. `--force` always builds. Used by npm start, npm test and the
# browser tests.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT=web/dist/index.html
if [ "${1:-}" != "--force" ] && [ -f "$OUT" ] &&
  [ -z "$(find web api/client.ts api/sign-in-config.ts domain/currency.ts domain/rules.ts domain/report-months.ts package-lock.json -path web/dist -prune -o -type f -newer "$OUT" -print -quit)" ]; then
  exit 0
fi
printf '[web] building the web workspace\n' >&2
npx vite build web --logLevel warn
