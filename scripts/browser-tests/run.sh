#!/usr/bin/env bash
# Browser tests of the docs UI and the analytics page: builds and starts the
# example service on a free port (its SQLite file in a temporary directory),
# then drives /docs and /admin/analytics in headless Debian Chromium through
# playwright-core (pinned in package.json); screenshots are kept in
# target/browser-tests/.
# Chromium is installed with apt-get when missing. The closing line reads
# `browser: N passed, M failed`.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HERE="$ROOT/scripts/browser-tests"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/debug/example-service"
CHROMIUM=/usr/bin/chromium

fail() {
  echo "browser tests: $*" >&2
  echo "browser: 0 passed, 1 failed"
  exit 1
}

if [ ! -x "$CHROMIUM" ]; then
  # shellcheck source=../lib/apt.sh
  . "$ROOT/scripts/lib/apt.sh"
  # With its recommended fonts, so pages render as users see them.
  APT_RECOMMENDS=1 apt_install chromium || fail "could not install chromium"
fi
command -v node >/dev/null || fail "node is not installed (Node.js 20 or newer is required)"
command -v npm >/dev/null || fail "npm is not installed"

echo "==> installing playwright-core"
(cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci failed"

# The test command builds it with the tests (and says so); on its own the
# suite builds it.
if [ "${RESOURCEFUL_TESTS_BUILT:-}" != 1 ] || [ ! -x "$BIN" ]; then
  echo "==> building the example service"
  cargo build -p example-service 2>&1 | tail -n 3
  [ "${PIPESTATUS[0]}" = 0 ] || fail "cargo build -p example-service failed"
  [ -x "$BIN" ] || fail "$BIN is missing after the build"
fi

WORK=$(mktemp -d)
SERVICE_PID=""
cleanup() {
  if [ -n "$SERVICE_PID" ]; then
    kill "$SERVICE_PID" 2>/dev/null
    wait "$SERVICE_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "==> starting the example service"
PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
(cd "$WORK" && exec env BIND=127.0.0.1 PORT="$PORT" "$BIN") >"$WORK/service.log" 2>&1 &
SERVICE_PID=$!
export API_BASE="http://127.0.0.1:$PORT"
ready=0
for _ in $(seq 1 100); do
  if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$API_BASE/health/ready"; then
    ready=1
    break
  fi
  kill -0 "$SERVICE_PID" 2>/dev/null || break
  sleep 0.1
done
if [ "$ready" != 1 ]; then
  echo "the example service did not become ready; its log:" >&2
  tail -n 40 "$WORK/service.log" >&2
  fail "no service to test"
fi

# Each script ends with `browser: N passed, M failed`; the sum is reported.
total_passed=0
total_failed=0
run_page() { # name, script, screenshot
  echo "==> testing $API_BASE/$1"
  local out status
  out=$(CHROMIUM="$CHROMIUM" SCREENSHOT="$TARGET/browser-tests/$3" node "$HERE/$2" 2>&1)
  status=$?
  printf '%s\n' "$out" | grep -v '^browser: '
  local line
  line=$(printf '%s\n' "$out" | grep -E '^browser: [0-9]+ passed, [0-9]+ failed' | tail -1)
  if [ -z "$line" ]; then
    total_failed=$((total_failed + 1))
  else
    total_passed=$((total_passed + $(echo "$line" | sed -E 's/browser: ([0-9]+) passed.*/\1/')))
    total_failed=$((total_failed + $(echo "$line" | sed -E 's/.* ([0-9]+) failed/\1/')))
  fi
  if [ "$status" != 0 ]; then
    echo "the example service's log:" >&2
    tail -n 20 "$WORK/service.log" >&2
  fi
}
run_page docs docs-ui.mjs docs.png
run_page admin/analytics analytics.mjs analytics.png
echo "browser: $total_passed passed, $total_failed failed"
[ "$total_failed" = 0 ]
