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
APT_UPDATED=""
apt_install() {
  command -v apt-get >/dev/null || { echo "cannot install $*: no apt-get" >&2; return 1; }
  if [ -z "$APT_UPDATED" ]; then $SUDO apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

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

# --- Rust tests -------------------------------------------------------------
log "checking formatting (cargo fmt)"
cargo fmt --all --check >/dev/null || { echo "the code is not formatted: run cargo fmt --all" >&2; exit 1; }
log "building tests"
cargo test --workspace --no-run --locked 2>&1 | tail -3
# Benches are not run here, but they must keep compiling.
cargo check -p resourceful-benches --benches --locked 2>&1 | tail -1
# build.rs regenerates the client packages: the committed ones must match.
if [ -d .git ] && ! git diff --quiet -- example-service/clients || [ -n "$(git status --porcelain -- example-service/clients 2>/dev/null)" ]; then
  echo "example-service/clients differs from what the generators produce now; commit the regenerated files:" >&2
  git status --short -- example-service/clients >&2
  exit 1
fi
log "running Rust tests (SQLite, PostgreSQL, Redis)"
set +e
cargo test --workspace --locked 2>&1 | tee "$ROOT/target/test-output.txt" | grep -Ev '^test .* \.\.\. ok$'
rust_status=${PIPESTATUS[0]}
set -e
passed=$(grep -Eo '[0-9]+ passed' "$ROOT/target/test-output.txt" | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$ROOT/target/test-output.txt" | awk '{s+=$1} END {print s+0}')
summary="rust: $passed passed, $failed failed"

# --- Monitoring, clients ----------------------------------------------------
other_status=0
run_suite() {
  local name=$1; shift
  log "$name"
  set +e
  "$@" 2>&1 | tee "$ROOT/target/$name.txt"
  local st=${PIPESTATUS[0]}
  set -e
  summary="$summary"$'\n'"$(grep -E '^[a-z]+: [0-9]+ passed, [0-9]+ failed' "$ROOT/target/$name.txt" | tail -1 || echo "$name: did not report")"
  [ "$st" = 0 ] || other_status=$st
}
run_suite monitoring bash scripts/check-monitoring.sh
run_suite deploy bash scripts/check-deploy.sh
[ -f scripts/client-tests/typescript.sh ] && run_suite typescript bash scripts/client-tests/typescript.sh
[ -f scripts/client-tests/dart.sh ] && run_suite dart bash scripts/client-tests/dart.sh
run_suite browser bash scripts/browser-tests/run.sh
run_suite fuzz bash scripts/fuzz/api.sh

log "done"
echo "$summary"
total_passed=$(echo "$summary" | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
total_failed=$(echo "$summary" | grep -Eo '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
echo "$total_passed passed, $total_failed failed"
[ "$rust_status" = 0 ] && [ "$other_status" = 0 ]
