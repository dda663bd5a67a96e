#!/usr/bin/env bash
# The newcomer's entry point: `bash tools/parley.sh demo` or `bash tools/parley.sh test`.
# Installs dependencies (from the committed lock), brings up PostgreSQL and NATS with
# JetStream (reusing running ones, DATABASE_URL/NATS_URL when set), applies migrations,
# then runs the demo or the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

install() {
  if [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then return; fi
  # npm 11.19 leaves other platforms' optional binaries (@swc/core-darwin-..., @bufbuild/buf-...)
  # out of the lock and then its own `npm ci` refuses that lock (npm/cli#8320, fixed upstream
  # by npm/cli#9083). `npm install` installs the versions the lock pins.
  npm ci --no-audit --no-fund || npm install --no-audit --no-fund
}

install
eval "$(npx tsx tools/stack/stack.ts up --export)"
export DATABASE_URL NATS_URL

case "${1:-}" in
  demo) shift; npx tsx tools/demo/main.ts "$@" ;;
  test) shift; npm run typecheck && npx nx run-many -t lint --parallel=2 --outputStyle=static && node tools/test/run-tests.mjs "$@" ;;
  *) echo "usage: bash tools/parley.sh demo|test" >&2; exit 2 ;;
esac
