#!/usr/bin/env bash
# Runs every test of the project. On a fresh Debian machine it installs and
# starts what the tests need (PostgreSQL, Python tools); a dependency that
# cannot be provided is a failure, never a silent skip.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
log() { printf '\n==> %s\n' "$*"; }

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

# --- Python tools (OpenAPI validation) -------------------------------------
VENV="$ROOT/target/venv"
if [ ! -x "$VENV/bin/python" ]; then
  log "creating a Python virtualenv for the OpenAPI validator"
  python3 -m venv "$VENV" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$VENV"; }
fi
"$VENV/bin/python" -c "import openapi_spec_validator" 2>/dev/null \
  || "$VENV/bin/pip" install -q "openapi-spec-validator==0.7.2"
export RESOURCEFUL_PYTHON="$VENV/bin/python"

# --- Rust tests -------------------------------------------------------------
log "building tests"
cargo test --workspace --no-run --locked 2>&1 | tail -3
log "running Rust tests (SQLite and PostgreSQL)"
cargo test --workspace --locked 2>&1 | tee "$ROOT/target/test-output.txt" | grep -Ev '^test .* \.\.\. ok$'
status=${PIPESTATUS[0]}
passed=$(grep -Eo '[0-9]+ passed' "$ROOT/target/test-output.txt" | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$ROOT/target/test-output.txt" | awk '{s+=$1} END {print s+0}')
echo
echo "rust: $passed passed, $failed failed"
exit "$status"
