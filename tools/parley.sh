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

# Headless Chromium for the SDK's browser test (Debian's package; playwright's own browser
# download cannot run here). Installed when missing and we may (root); else the test says why.
ensure_chromium() {
  if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then return; fi
  if [ "$(id -u)" != 0 ]; then echo "chromium missing (apt-get install chromium as root)" >&2; return; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends chromium >/dev/null; } ||
    echo "could not install chromium: the SDK's browser test will fail and say so" >&2
}

install
eval "$(npx tsx tools/stack/stack.ts up --export)"
export DATABASE_URL NATS_URL

case "${1:-}" in
  demo) shift; npx tsx --tsconfig tools/demo/tsconfig.json tools/demo/main.ts "$@" ;;
  test) shift; ensure_chromium; npm run typecheck && npx nx run-many -t lint --parallel=2 --outputStyle=static && node tools/test/run-tests.mjs "$@" ;;
  *) echo "usage: bash tools/parley.sh demo|test" >&2; exit 2 ;;
esac
