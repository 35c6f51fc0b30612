#!/usr/bin/env bash
# Runs the Dart client's tests with a real Dart VM against the real example
# service: starts target/debug/example-service on a free port with a fresh
# SQLite database, mints development tokens (POST /dev/token) for ana
# (editor), ben (no role) and root (admin), runs
# example-service/client-tests/dart (the tests, the example program, the
# README snippet check of both packages) and ends with
# `dart: N passed, M failed`.
#
# Two packages are generated: example-service/clients/dart (the newest API)
# and example-service/clients/dart-v1 (the API as of v1). The suite written
# for v1 runs with the v1 package; versions_test.dart uses both, and
# graphql_test.dart the newest (GraphQL serves the newest API).
#
# Expects `cargo build -p example-service` to have run (it also regenerates
# both packages). DART_TEST_FILTER=text runs matching tests.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TESTS="$ROOT/example-service/client-tests/dart"
PKG="$ROOT/example-service/clients/dart"
PKG_V1="$ROOT/example-service/clients/dart-v1"
BIN="${EXAMPLE_SERVICE_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/example-service}"

passed=0
failed=0
finish() {
  echo
  echo "dart: $passed passed, $failed failed"
  [ "$failed" = 0 ] && [ "$passed" -gt 0 ]
}
die() {
  echo "dart client tests: $*" >&2
  failed=$((failed + 1))
  finish || true
  exit 1
}

DART=$(bash "$ROOT/scripts/client-tests/dart-vm.sh") || die "no Dart VM could be provided"
[ -x "$BIN" ] || die "$BIN is missing: run cargo build -p example-service first"
[ -f "$PKG/pubspec.yaml" ] || die "$PKG is missing: the build did not generate the Dart client"
[ -f "$PKG_V1/pubspec.yaml" ] || die "$PKG_V1 is missing: the build did not generate the v1 Dart client"

# Resolve package:resourceful_example_client (the newest API) and
# package:resourceful_example_client_v1 (the API as of v1) without pub.
mkdir -p "$TESTS/.dart_tool"
cat > "$TESTS/.dart_tool/package_config.json" <<'JSON'
{
  "configVersion": 2,
  "packages": [
    {
      "name": "resourceful_example_client",
      "rootUri": "../../../clients/dart",
      "packageUri": "lib/",
      "languageVersion": "2.16"
    },
    {
      "name": "resourceful_example_client_v1",
      "rootUri": "../../../clients/dart-v1",
      "packageUri": "lib/",
      "languageVersion": "2.16"
    }
  ],
  "generator": "scripts/client-tests/dart.sh"
}
JSON

WORK=$(mktemp -d)
SERVICE_PID=""
cleanup() {
  if [ -n "$SERVICE_PID" ] && kill -0 "$SERVICE_PID" 2>/dev/null; then
    kill "$SERVICE_PID" 2>/dev/null || true
    wait "$SERVICE_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"
(
  cd "$WORK"
  DATABASE_URL="sqlite:$WORK/test.db" BIND=127.0.0.1 PORT="$PORT" LOG_FORMAT=json RUST_LOG=warn exec "$BIN"
) >"$WORK/service.log" 2>&1 &
SERVICE_PID=$!

ready=""
for _ in $(seq 1 150); do
  if ! kill -0 "$SERVICE_PID" 2>/dev/null; then
    cat "$WORK/service.log" >&2
    die "the example service exited during start-up"
  fi
  if python3 - "$BASE/health/ready" <<'PY' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
PY
  then ready=1; break; fi
  sleep 0.2
done
[ -n "$ready" ] || { cat "$WORK/service.log" >&2; die "the example service did not become ready on $BASE"; }
echo "example service ready on $BASE; Dart VM: $("$DART" --version 2>&1)"

mint() { # sub, roles as JSON
  python3 - "$BASE/dev/token" "$1" "$2" <<'PY'
import json, sys, urllib.request
url, sub, roles = sys.argv[1:4]
body = json.dumps({"sub": sub, "roles": json.loads(roles), "ttl_secs": 3600}).encode()
req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
with urllib.request.urlopen(req, timeout=5) as r:
    print(json.load(r)["access_token"])
PY
}
TOKEN_ANA=$(mint ana '["editor"]') && TOKEN_BEN=$(mint ben '[]') && TOKEN_ROOT=$(mint root '["admin"]') \
  || die "the development issuer gave no tokens (is an identity provider configured?)"
export TOKEN_ANA TOKEN_BEN TOKEN_ROOT

cd "$TESTS"
set +e
API_BASE="$BASE" "$DART" --packages=.dart_tool/package_config.json test_main.dart 2>&1 | tee "$WORK/tests.txt"
status=${PIPESTATUS[0]}
set -e
result=$(grep -E '^RESULT passed=[0-9]+ failed=[0-9]+$' "$WORK/tests.txt" | tail -1 || true)
if [ -n "$result" ]; then
  p=${result#RESULT passed=}; p=${p%% *}
  f=${result##*failed=}
  passed=$((passed + p))
  failed=$((failed + f))
fi
if [ "$status" != 0 ] && { [ -z "$result" ] || [ "${f:-0}" = 0 ]; }; then
  echo "FAIL test_main.dart exited with status $status"
  failed=$((failed + 1))
fi

# The example program: compiles against the package and runs to the end.
set +e
API_BASE="$BASE" "$DART" --packages=.dart_tool/package_config.json example.dart >"$WORK/example.txt" 2>&1
status=$?
set -e
if [ "$status" = 0 ] && grep -q '^example finished$' "$WORK/example.txt"; then
  passed=$((passed + 1))
  echo "ok   example.dart"
else
  failed=$((failed + 1))
  echo "FAIL example.dart (status $status)"
  sed 's/^/     /' "$WORK/example.txt"
fi

# Each package's README snippets compile against that package (and
# stand-ins for Flutter, http, dio, Riverpod, Bloc and shared_preferences).
for pkg in resourceful_example_client:dart resourceful_example_client_v1:dart-v1; do
  name=${pkg%%:*}
  folder=${pkg#*:}
  set +e
  "$DART" readme_check.dart "$name" "$folder" >"$WORK/readme.txt" 2>&1
  status=$?
  set -e
  if [ "$status" = 0 ] && grep -q '^README snippets compile' "$WORK/readme.txt"; then
    passed=$((passed + 1))
    echo "ok   readme_check.dart ($folder): $(head -1 "$WORK/readme.txt")"
  else
    failed=$((failed + 1))
    echo "FAIL readme_check.dart ($folder, status $status)"
    sed 's/^/     /' "$WORK/readme.txt"
  fi
done

if [ "$failed" != 0 ]; then
  echo "--- service log (last 40 lines) ---"
  tail -40 "$WORK/service.log"
fi
finish
