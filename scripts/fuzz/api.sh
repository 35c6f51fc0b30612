#!/usr/bin/env bash
# Fuzzes the running example service against its own OpenAPI document with
# schemathesis: every check (server errors, status codes, content types,
# headers, response schemas, schema-valid data accepted, schema-violating
# data refused, stateful links), on SQLite and on PostgreSQL at once, each
# run bounded by FUZZ_SECONDS (default 75). What no schema can say is in
# schemathesis.toml and hooks.py, each with its reason.
#
# Expects target/debug/example-service to be built and a Python virtualenv
# at $RESOURCEFUL_VENV (default target/venv; schemathesis is installed into
# it when missing). A longer, randomised run:
#   FUZZ_SECONDS=900 FUZZ_RANDOM=1 bash scripts/fuzz/api.sh
# The closing line reads `fuzz: N passed, M failed` (one per database).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HERE="$ROOT/scripts/fuzz"
BIN="${EXAMPLE_SERVICE_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/example-service}"
VENV="${RESOURCEFUL_VENV:-${CARGO_TARGET_DIR:-$ROOT/target}/venv}"
PG_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
SECONDS_EACH="${FUZZ_SECONDS:-75}"

fail() {
  echo "api fuzzing: $*" >&2
  echo "fuzz: 0 passed, 1 failed"
  exit 1
}

[ -x "$BIN" ] || fail "$BIN is missing: run 'cargo build -p example-service' first"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" || fail "cannot create a virtualenv at $VENV"
"$VENV/bin/st" --version >/dev/null 2>&1 \
  || "$VENV/bin/pip" install -q "schemathesis==4.32.5" \
  || fail "cannot install schemathesis"

free_port() {
  "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

WORK=$(mktemp -d)
SCHEMA="fuzz_$$_$(date +%s)"
# `start` runs in a command substitution (a subshell): it records the
# service's pid in a file the cleanup reads.
cleanup() {
  for p in $(cat "$WORK/pids" 2>/dev/null); do kill "$p" 2>/dev/null; done
  sleep 0.2
  psql "$PG_URL" -qc "DROP SCHEMA IF EXISTS \"$SCHEMA\" CASCADE" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

# Starts the service with the given database settings; echoes its base URL.
start() { # name, env assignments...
  local name=$1 port
  shift
  port=$(free_port)
  env "$@" BIND=127.0.0.1 PORT="$port" RUST_LOG=warn \
    RATE_LIMIT_READ=100000000/min RATE_LIMIT_WRITE=100000000/min RATE_LIMIT_GRAPHQL=100000000/min \
    "$BIN" >"$WORK/$name.log" 2>&1 &
  echo $! >>"$WORK/pids"
  for _ in $(seq 1 100); do
    if "$VENV/bin/python" -c 'import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
      "http://127.0.0.1:$port/health/ready" 2>/dev/null; then
      echo "http://127.0.0.1:$port"
      return 0
    fi
    sleep 0.1
  done
  cat "$WORK/$name.log" >&2
  return 1
}

psql "$PG_URL" -qc "CREATE SCHEMA \"$SCHEMA\"" >/dev/null || fail "PostgreSQL at $PG_URL is required"

mode=(--generation-deterministic)
[ "${FUZZ_RANDOM:-0}" = 1 ] && mode=()

# One database's run; its report goes to $WORK/report-<db>.txt and its
# verdict (pass or fail) to $WORK/verdict-<db>.
fuzz_db() {
  local db=$1 base token
  exec >"$WORK/report-$db.txt" 2>&1
  echo fail >"$WORK/verdict-$db"
  case $db in
    sqlite) base=$(start sqlite DATABASE_URL="sqlite:$WORK/fuzz.db") ;;
    postgres) base=$(start postgres DATABASE_URL="$PG_URL" DATABASE_SCHEMA="$SCHEMA") ;;
  esac || { echo "FAILED: the service did not start on $db"; return; }
  # A caller who may do everything (the development issuer mints it), so
  # every operation is reached; the `ignored_auth` check sends requests
  # without it and expects 401.
  token=$("$VENV/bin/python" - "$base" <<'PY'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/dev/token", method="POST",
    data=json.dumps({"sub": "fuzzer", "roles": ["editor", "admin"]}).encode(),
    headers={"content-type": "application/json"})
print(json.load(urllib.request.urlopen(req, timeout=5))["access_token"])
PY
  ) || { echo "FAILED: no development token on $db"; return; }
  echo "==> schemathesis against $base on $db (${SECONDS_EACH}s)"
  if (cd "$HERE" && SCHEMATHESIS_HOOKS=hooks timeout $((SECONDS_EACH + 60)) \
    "$VENV/bin/st" --config-file schemathesis.toml run "$base/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks all --max-examples 25 --max-time "$SECONDS_EACH" "${mode[@]}" \
    >"$WORK/st-$db.txt" 2>&1); then
    echo pass >"$WORK/verdict-$db"
    grep -E "generated|passed|⚠" "$WORK/st-$db.txt" | tail -6
  else
    echo "FAILED: schemathesis on $db"
    # The report without the (long) reproduction commands.
    grep -v '^    curl ' "$WORK/st-$db.txt" | tail -80
  fi
}
# Both databases at once: each run is bounded in time, not in examples.
for db in sqlite postgres; do fuzz_db "$db" & done
wait
passed=0
failed=0
for db in sqlite postgres; do
  cat "$WORK/report-$db.txt"
  if [ "$(cat "$WORK/verdict-$db" 2>/dev/null)" = pass ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ]
