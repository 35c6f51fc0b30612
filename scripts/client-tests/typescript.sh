#!/usr/bin/env bash
# Tests the generated TypeScript clients against the real example service.
# There is one package per API version: example-service/clients/typescript
# (`@resourceful-example/client`, the newest API) and
# example-service/clients/typescript-v1 (`@resourceful-example/client-v1`,
# the API as of v1, which the service still serves). This
#   1. type-checks each generated package with its own strict settings,
#   2. type-checks app code written against them (each package's README
#      examples, and example-service/client-tests/typescript/examples
#      against the v1 package),
#   3. runs the node test suite against a fresh service on a free port: the
#      existing suite (CRUD, filters, pagination, ETag cache, errors, bearer
#      tokens and permissions, React hooks) with the v1 package, which must
#      keep working against the new server, and test/versions.test.ts with
#      both packages side by side (one table, two representations, the v1
#      retirement announcement and the clients' `onDeprecation` notices, a
#      document per version), and test/graphql.test.ts with the newest
#      package (GraphQL serves the newest API): `client.graphql` with
#      automatic persisted queries on the wire, typed GraphQL errors,
#      permissions, the token refresh, and its SHA-256 against the standard
#      vectors and node's crypto. The callers' tokens come from the service's
#      development issuer (POST /dev/token): ana (editor), ben (no role) and
#      root (admin).
# Expects target/debug/example-service to be built already (building it
# also regenerates the clients). Node.js and npm are required: without them
# this fails, it never skips. The closing line reads
# `typescript: N passed, M failed`, where each type-check counts as one.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PROJECT="$ROOT/example-service/client-tests/typescript"
BIN="${EXAMPLE_SERVICE_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/example-service}"

fail() {
  echo "typescript client tests: $*" >&2
  echo "typescript: 0 passed, 1 failed"
  exit 1
}

command -v node >/dev/null || fail "node is not installed (Node.js 20 or newer is required)"
command -v npm >/dev/null || fail "npm is not installed (it comes with Node.js)"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || fail "Node.js $(node --version) is too old: 20 or newer is required"
[ -x "$BIN" ] || fail "$BIN is missing: run 'cargo build -p example-service' first"
for pkg in typescript typescript-v1; do
  [ -f "$ROOT/example-service/clients/$pkg/package.json" ] || fail "the generated client clients/$pkg is missing: build example-service first"
done

echo "==> installing the test project's dependencies"
cd "$PROJECT"
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error || fail "npm ci failed"
else
  npm install --no-audit --no-fund --loglevel=error || fail "npm install failed"
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

passed=0
failed=0
check() { # name, command...
  local name=$1
  shift
  echo "==> $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    echo "FAILED: $name" >&2
    failed=$((failed + 1))
    return 1
  fi
}

TSC="$PROJECT/node_modules/.bin/tsc"
check "type-check the generated package of the newest API (strict, ES library only)" "$TSC" -p tsconfig.package.json
check "type-check the generated package of the API as of v1 (strict, ES library only)" "$TSC" -p tsconfig.package-v1.json
check "type-check the newest package's README examples" sh -c "node scripts/extract-readme.js typescript && '$TSC' -p tsconfig.examples.json"
check "type-check the v1 package's README examples and examples/" sh -c "node scripts/extract-readme.js typescript-v1 && '$TSC' -p tsconfig.examples-v1.json"
compiled=0
rm -rf build/clients build/client-tests
if check "compile the tests with the packages' sources" "$TSC" -p tsconfig.json; then
  if [ -f build/client-tests/typescript/test/crud.test.js ] && [ -f build/client-tests/typescript/test/versions.test.js ]; then
    compiled=1
  else
    echo "the compiled tests are not where the runner looks (build/client-tests/typescript/test)" >&2
    failed=$((failed + 1))
  fi
fi

if [ "$compiled" = 1 ]; then
  echo "==> starting the example service"
  PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  (
    cd "$WORK"
    exec env DATABASE_URL="sqlite:$WORK/service.db" BIND=127.0.0.1 PORT="$PORT" "$BIN"
  ) >"$WORK/service.log" 2>&1 &
  SERVICE_PID=$!
  export API_BASE="http://127.0.0.1:$PORT"
  ready=0
  minted=1
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
    failed=$((failed + 1))
  else
    echo "==> minting development tokens (POST /dev/token)"
    mint() { # sub, roles as JSON
      node -e '
        const [base, sub, roles] = process.argv.slice(1);
        fetch(base + "/dev/token", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ sub, roles: JSON.parse(roles), ttl_secs: 3600 }),
        })
          .then(async (r) => {
            if (!r.ok) throw new Error("POST /dev/token answered " + r.status + ": " + (await r.text()));
            console.log((await r.json()).access_token);
          })
          .catch((e) => {
            console.error(e.message);
            process.exit(1);
          });
      ' "$API_BASE" "$1" "$2"
    }
    TOKEN_ANA=$(mint ana '["editor"]') && TOKEN_BEN=$(mint ben '[]') && TOKEN_ROOT=$(mint root '["admin"]')
    minted=$?
    export TOKEN_ANA TOKEN_BEN TOKEN_ROOT
  fi
  if [ "$ready" = 1 ] && [ "$minted" != 0 ]; then
    echo "the development issuer gave no tokens (is an identity provider configured?)" >&2
    failed=$((failed + 1))
  elif [ "$ready" = 1 ]; then
    echo "==> running the test suite against $API_BASE"
    node --test --test-concurrency=1 \
      --test-reporter=spec --test-reporter-destination=stdout \
      --test-reporter=tap --test-reporter-destination="$WORK/results.tap" \
      build/client-tests/typescript/test/*.test.js
    status=$?
    p=$(grep -Eo '^# pass [0-9]+' "$WORK/results.tap" | awk '{print $3}' | tail -1)
    f=$(grep -Eo '^# fail [0-9]+' "$WORK/results.tap" | awk '{print $3}' | tail -1)
    c=$(grep -Eo '^# cancelled [0-9]+' "$WORK/results.tap" | awk '{print $3}' | tail -1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0} + ${c:-0}))
    if [ "$status" != 0 ] && [ "${f:-0}" = 0 ] && [ "${c:-0}" = 0 ]; then
      echo "the test runner exited with $status" >&2
      failed=$((failed + 1))
    fi
    if [ "${p:-0}" = 0 ]; then
      echo "no test ran" >&2
      failed=$((failed + 1))
    fi
  fi
fi

echo
echo "typescript: $passed passed, $failed failed"
[ "$failed" = 0 ]
