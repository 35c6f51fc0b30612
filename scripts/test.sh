#!/usr/bin/env bash
# Runs every test of the project. On a fresh Debian machine it installs and
# starts what the tests need (PostgreSQL, Python tools); a dependency that
# cannot be provided is a failure, never a silent skip.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
START=$SECONDS
# Each step prints the seconds since the start, so a slow run shows where it went.
log() { printf '\n==> [%4ds] %s\n' "$((SECONDS - START))" "$*"; }

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi
# apt_install PACKAGE...
# shellcheck source=lib/apt.sh
. scripts/lib/apt.sh

# --- PostgreSQL (127.0.0.1:5432, trust auth, database `test`) -------------
export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
pg_ready() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }
if ! pg_ready; then
  log "PostgreSQL is not answering on 127.0.0.1:5432; starting it"
  command -v pg_ctlcluster >/dev/null || apt_install postgresql postgresql-client
  ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
  if [ -n "$ver" ]; then
    # Local trust auth for the test cluster (this is a throwaway test server).
    hba=/etc/postgresql/$ver/main/pg_hba.conf
    if ! grep -q "resourceful-test" "$hba"; then
      printf '# resourceful-test\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust\n' | $SUDO tee /tmp/hba.$$ >/dev/null
      $SUDO sh -c "cat '$hba' >> /tmp/hba.$$ && cp /tmp/hba.$$ '$hba'"
    fi
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  fi
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  pg_ready || { echo "PostgreSQL could not be started" >&2; exit 1; }
fi
if ! psql "postgres://postgres@127.0.0.1:5432/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1; then
  psql "postgres://postgres@127.0.0.1:5432/postgres" -qc "CREATE DATABASE test"
fi
# Schemas left by interrupted runs.
psql "$TEST_POSTGRES_URL" -qAt -c "SELECT 'DROP SCHEMA \"' || nspname || '\" CASCADE;' FROM pg_namespace WHERE nspname LIKE 'rtest\_%'" \
  | psql "$TEST_POSTGRES_URL" -q >/dev/null

# --- Redis (127.0.0.1:6379) -------------------------------------------------
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379}"
redis_ready() { command -v redis-cli >/dev/null && [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }
if ! redis_ready; then
  log "Redis is not answering on 127.0.0.1:6379; starting it"
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p /tmp/resourceful-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /tmp/resourceful-redis --logfile /tmp/resourceful-redis/redis.log
  for _ in $(seq 1 20); do redis_ready && break; sleep 0.5; done
  redis_ready || { echo "Redis could not be started" >&2; exit 1; }
fi

# --- Python tools (OpenAPI validation) -------------------------------------
VENV="$ROOT/target/venv"
if [ ! -x "$VENV/bin/python" ]; then
  log "creating a Python virtualenv for the OpenAPI validator"
  python3 -m venv "$VENV" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$VENV"; }
fi
"$VENV/bin/python" -c "import openapi_spec_validator" 2>/dev/null \
  || "$VENV/bin/pip" install -q "openapi-spec-validator==0.7.2"
export RESOURCEFUL_PYTHON="$VENV/bin/python"

# --- The test identity provider (oidc-provider under node) ------------------
command -v node >/dev/null || apt_install nodejs npm
if [ ! -d scripts/idp/node_modules/oidc-provider ]; then
  log "installing the test identity provider (npm ci --prefix scripts/idp)"
  npm ci --prefix scripts/idp --no-audit --no-fund >/dev/null
fi

# --- System packages of the later suites, installed while the build runs --
# (chromium for the browser suite, promtool and haproxy for the deploy and
# cluster suites, wrk for the cluster's spike.) The suites install what is
# still missing themselves.
prepare_packages() {
  local missing=()
  command -v promtool >/dev/null || missing+=(prometheus)
  command -v haproxy >/dev/null || missing+=(haproxy)
  command -v wrk >/dev/null || missing+=(wrk)
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
  if [ ! -x /usr/bin/chromium ]; then APT_RECOMMENDS=1 apt_install chromium; fi
}
prepare_packages > "$ROOT/target/packages.txt" 2>&1 &
packages_pid=$!

# --- Build ------------------------------------------------------------------
log "checking formatting (cargo fmt)"
cargo fmt --all --check >/dev/null || { echo "the code is not formatted: run cargo fmt --all" >&2; exit 1; }
log "building tests"
# Benches are not run here, but they must keep compiling: built with the
# tests (same profile, so the dependencies are compiled once).
cargo test --workspace --all-targets --no-run --locked 2>&1 | tail -3
# build.rs regenerates the client packages: the committed ones must match.
if [ -d .git ] && ! git diff --quiet -- example-service/clients || [ -n "$(git status --porcelain -- example-service/clients 2>/dev/null)" ]; then
  echo "example-service/clients differs from what the generators produce now; commit the regenerated files:" >&2
  git status --short -- example-service/clients >&2
  exit 1
fi
export RESOURCEFUL_TESTS_BUILT=1
log "waiting for the system packages"
wait "$packages_pid" || { cat "$ROOT/target/packages.txt"; echo "installing the suites' packages failed" >&2; }

# --- Suites -----------------------------------------------------------------
# Three stages. First the compile-fail cases (CPU-bound, nothing timed)
# beside the suites that test through a running service; then the Rust
# tests alone, since some assert on timing under load; then the cluster
# alone, which kills and restarts replicas under constant load.
summary=""
status=0
add_summary() { # name file: the suite's closing count line
  summary="$summary${summary:+$'\n'}$(grep -E '^[a-z]+: [0-9]+ passed, [0-9]+ failed' "$2" | tail -1 || echo "$1: did not report")"
}
run_suite() {
  local name=$1; shift
  log "$name"
  set +e
  "$@" 2>&1 | tee "$ROOT/target/$name.txt"
  local st=${PIPESTATUS[0]}
  set -e
  add_summary "$name" "$ROOT/target/$name.txt"
  [ "$st" = 0 ] || status=$st
}
# Cargo's test output without the passing lines, and its counts summed.
rust_tests() { # output file, cargo test arguments...
  local out=$1; shift
  set +e
  cargo test --locked "$@" 2>&1 | tee "$out" | grep -Ev '^test .* \.\.\. ok$'
  local st=${PIPESTATUS[0]}
  set -e
  local p f
  p=$(grep -Eo '[0-9]+ passed' "$out" | awk '{s+=$1} END {print s+0}')
  f=$(grep -Eo '[0-9]+ failed' "$out" | awk '{s+=$1} END {print s+0}')
  echo "$(basename "$out" .txt): $p passed, $f failed"
  return "$st"
}

log "compile-fail cases (in the background) beside the service suites"
# (`--workspace` with every selection: the features, and so the build, stay
# the ones built above.)
rust_tests "$ROOT/target/macros.txt" --workspace --test compile_fail > "$ROOT/target/macros-run.txt" 2>&1 &
macros_pid=$!
run_suite monitoring bash scripts/check-monitoring.sh
run_suite deploy bash scripts/check-deploy.sh
run_suite typescript bash scripts/client-tests/typescript.sh
run_suite dart bash scripts/client-tests/dart.sh
run_suite browser bash scripts/browser-tests/run.sh
run_suite fuzz bash scripts/fuzz/api.sh
log "compile-fail cases"
set +e
wait "$macros_pid"
macros_status=$?
set -e
cat "$ROOT/target/macros-run.txt"
[ "$macros_status" = 0 ] || status=$macros_status

log "running Rust tests (SQLite, PostgreSQL, Redis)"
# `|| …`: the function turns `set -e` back on, so a bare call that fails
# would end this script before the summary and the cluster suite.
# `--no-fail-fast`: every test binary runs, so one failure hides no other.
rust_status=0
rust_tests "$ROOT/target/rust.txt" --workspace --no-fail-fast -- --exact --skip compile_fail_cases \
  > "$ROOT/target/rust-run.txt" 2>&1 || rust_status=$?
cat "$ROOT/target/rust-run.txt"
[ "$rust_status" = 0 ] || status=$rust_status
# The Rust count covers the compile-fail cases too.
rust_passed=$(grep -hEo '[0-9]+ passed' "$ROOT/target/rust.txt" "$ROOT/target/macros.txt" | awk '{s+=$1} END {print s+0}')
rust_failed=$(grep -hEo '[0-9]+ failed' "$ROOT/target/rust.txt" "$ROOT/target/macros.txt" | awk '{s+=$1} END {print s+0}')
summary="rust: $rust_passed passed, $rust_failed failed"$'\n'"$summary"

# The debug build: the cluster cases test drain, crash, restart and
# invalidation, and the autoscaling arithmetic, not the release build's
# speed (a release build does not fit this command's time). The debug
# replicas serve about a third of what release ones do, so the spike lasts
# 120 s instead of 50: the adapter's 2-minute rate then reaches the in-spike
# rate (about 700 per pod here) and crosses the HPA's target of 500.
run_suite cluster env CLUSTER_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/example-service" \
  SPIKE_SECS=120 bash scripts/cluster-tests/run.sh

log "done"
echo "$summary"
total_passed=$(echo "$summary" | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
total_failed=$(echo "$summary" | grep -Eo '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
echo "$total_passed passed, $total_failed failed"
[ "$status" = 0 ]
