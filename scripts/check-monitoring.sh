#!/usr/bin/env bash
# Checks the operator files in deploy/monitoring/: the Prometheus alert and
# recording rules (syntax and promtool unit tests), the Prometheus Operator
# PrometheusRule (the groups of both plain rule files), the Grafana dashboard
# and the provisioning files. Installs promtool (Debian package
# `prometheus`, the service is not started) and PyYAML when missing; a tool
# that cannot be installed is a failure, never a skip.
#
#   bash scripts/check-monitoring.sh                          # run every check
#   bash scripts/check-monitoring.sh --write-prometheusrule   # regenerate the
#       PrometheusRule from the plain rule files, then run every check
#
# Ends with `monitoring: N passed, M failed`; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MON=deploy/monitoring
RULES=$MON/prometheus/rules/resourceful-alerts.yaml
RECORDING=$MON/prometheus/rules/resourceful-recording.yaml
PROMRULE=$MON/prometheus/prometheusrule.yaml
TESTS=$MON/prometheus/tests
DASH=$MON/grafana/dashboards/resourceful.json
NAMES=runtime/src/observe/names.rs
WORK=$ROOT/target/monitoring
mkdir -p "$WORK"

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok      $*"; }
fail() { failed=$((failed + 1)); echo "FAILED  $*"; }
finish() {
  echo
  echo "monitoring: $passed passed, $failed failed"
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

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi

# --- promtool -----------------------------------------------------------------
install_promtool() {
  if ! command -v apt-get >/dev/null; then
    echo "promtool is missing and apt-get is not available: install the Prometheus tools (promtool) by hand" >&2
    return 1
  fi
  echo "==> installing promtool (Debian package prometheus; the service is not started)"
  # Debian's way to keep maintainer scripts from starting services: a
  # policy-rc.d that denies every action, only for the time of the install.
  local policy=/usr/sbin/policy-rc.d added=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod 755 "$policy" && added=1
  fi
  local rc=0 was_active=""
  if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then was_active=1; fi
  # A failed update (a mirror mid-sync) leaves the previous lists: try the
  # install anyway; its own failure is the one that counts.
  $SUDO apt-get update -qq || echo "apt-get update failed; trying the install with the current package lists" >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null || rc=$?
  if [ -n "$added" ]; then $SUDO rm -f "$policy"; fi
  # Belt and braces on machines whose init ignores policy-rc.d: stop the
  # service if this install started it.
  if [ -z "$was_active" ] && command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
    $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
  return "$rc"
}
if ! command -v promtool >/dev/null; then
  if ! install_promtool || ! command -v promtool >/dev/null; then
    fail "promtool available (apt-get install prometheus failed)"
    finish
  fi
fi
echo "promtool: $(promtool --version 2>&1 | head -1)"

# --- Python with PyYAML ---------------------------------------------------------
PY=python3
if ! command -v python3 >/dev/null; then
  fail "python3 available"
  finish
fi
if ! python3 -c 'import yaml' 2>/dev/null; then
  VENV=$ROOT/target/monitoring-venv
  if ! "$VENV/bin/python" -c 'import yaml' 2>/dev/null; then
    echo "==> installing PyYAML into target/monitoring-venv"
    python3 -m venv "$VENV" 2>/dev/null || {
      command -v apt-get >/dev/null && $SUDO apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null \
        && python3 -m venv "$VENV"
    }
    "$VENV/bin/pip" install -q "PyYAML>=6,<7" || true
  fi
  if ! "$VENV/bin/python" -c 'import yaml' 2>/dev/null; then
    fail "PyYAML available (pip install into target/monitoring-venv failed)"
    finish
  fi
  PY=$VENV/bin/python
fi

# --- the Python half: one subcommand per check ----------------------------------
read -r -d '' PYCODE <<'PYEOF'
import json, os, re, sys
import yaml

cmd, args = sys.argv[1], sys.argv[2:]

def load_yaml(path):
    with open(path) as f:
        return yaml.safe_load(f)

def alerts(groups):
    return [r for g in groups for r in g["rules"] if "alert" in r]

def records(groups):
    return [r for g in groups for r in g["rules"] if "record" in r]

def fail(msg):
    print(msg)
    sys.exit(1)

PROMRULE_HEADER = """\
# GENERATED from rules/resourceful-alerts.yaml and
# rules/resourceful-recording.yaml by
# `scripts/check-monitoring.sh --write-prometheusrule`: edit the plain rule
# files, then regenerate. scripts/check-monitoring.sh fails when the groups
# differ.
#
# For the Prometheus Operator: the labels below must match the Prometheus
# resource's ruleSelector (kube-prometheus-stack selects `release: <its
# release name>` by default: add that label, or regenerate and edit).
"""

if cmd == "write-prometheusrule":
    rules, recording, out = args
    groups = load_yaml(rules)["groups"] + load_yaml(recording)["groups"]
    doc = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": "resourceful-api",
            "labels": {
                "app.kubernetes.io/name": "resourceful-api",
                "app.kubernetes.io/component": "alerting-rules",
                "role": "alert-rules",
            },
        },
        "spec": {"groups": groups},
    }
    class Dumper(yaml.SafeDumper):
        pass
    def str_repr(dumper, s):
        style = "|" if "\n" in s else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", s, style=style)
    Dumper.add_representer(str, str_repr)
    with open(out, "w") as f:
        f.write(PROMRULE_HEADER)
        yaml.dump(doc, f, Dumper=Dumper, sort_keys=False, width=1000, allow_unicode=True)
    print("wrote", out)

elif cmd == "promrule-shape":
    path, spec_out = args
    doc = load_yaml(path)
    if doc.get("apiVersion") != "monitoring.coreos.com/v1":
        fail(f"apiVersion is {doc.get('apiVersion')!r}, want monitoring.coreos.com/v1")
    if doc.get("kind") != "PrometheusRule":
        fail(f"kind is {doc.get('kind')!r}, want PrometheusRule")
    if not doc.get("metadata", {}).get("name"):
        fail("metadata.name is missing")
    groups = doc.get("spec", {}).get("groups")
    if not groups:
        fail("spec.groups is missing or empty")
    with open(spec_out, "w") as f:
        yaml.safe_dump({"groups": groups}, f, sort_keys=False)

elif cmd == "promrule-equal":
    rules, recording, promrule = args
    plain = load_yaml(rules)["groups"] + load_yaml(recording)["groups"]
    wrapped = load_yaml(promrule)["spec"]["groups"]
    if plain != wrapped:
        pn = {g["name"]: g for g in plain}
        wn = {g["name"]: g for g in wrapped}
        for name in sorted(set(pn) | set(wn)):
            if pn.get(name) != wn.get(name):
                print(f"group {name} differs")
        fail("the PrometheusRule's spec.groups differ from the plain rule files: "
             "run scripts/check-monitoring.sh --write-prometheusrule")
    print(f"{len(plain)} groups, {len(alerts(plain))} alerts, {len(records(plain))} recording rules identical")

elif cmd == "alert-metadata":
    (rules,) = args
    bad = []
    names = [a["alert"] for a in alerts(load_yaml(rules)["groups"])]
    for a in alerts(load_yaml(rules)["groups"]):
        n = a["alert"]
        if a.get("labels", {}).get("severity") not in ("critical", "warning", "info"):
            bad.append(f"{n}: severity label must be critical, warning or info")
        for k in ("summary", "description", "runbook"):
            if not str(a.get("annotations", {}).get(k, "")).strip():
                bad.append(f"{n}: annotation {k} is missing")
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        bad.append(f"duplicate alert names: {sorted(dupes)}")
    if bad:
        fail("\n".join(bad))
    print(f"{len(names)} alerts have severity, summary, description and runbook")

elif cmd == "test-coverage":
    rules, recording, tests_dir = args
    names = [a["alert"] for a in alerts(load_yaml(rules)["groups"])]
    recorded = [r["record"] for r in records(load_yaml(recording)["groups"])]
    evaluated = set()
    firing, quiet, cases = set(), set(), 0
    for fn in sorted(os.listdir(tests_dir)):
        if not fn.endswith((".yaml", ".yml")):
            continue
        doc = load_yaml(os.path.join(tests_dir, fn))
        for t in doc.get("tests", []):
            cases += 1
            for a in t.get("alert_rule_test", []):
                (firing if a.get("exp_alerts") else quiet).add(a["alertname"])
            for e in t.get("promql_expr_test", []):
                evaluated.update(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", e.get("expr", "")))
    bad = []
    for n in names:
        if n not in firing:
            bad.append(f"{n}: no test shows it firing")
        if n not in quiet:
            bad.append(f"{n}: no test shows it quiet (exp_alerts: [])")
    unknown = (firing | quiet) - set(names)
    if unknown:
        bad.append(f"tests name unknown alerts: {sorted(unknown)}")
    for r in recorded:
        if r not in evaluated:
            bad.append(f"{r}: no promql_expr_test evaluates the recording rule")
    if bad:
        fail("\n".join(bad))
    print(f"{len(names)} alerts, each firing and quiet, and {len(recorded)} recording rules evaluated, in {cases} test cases")

elif cmd == "count-cases":
    (path,) = args
    print(len(load_yaml(path).get("tests", [])))

elif cmd == "dashboard":
    (path,) = args
    with open(path) as f:
        d = json.load(f)
    bad = []
    if not isinstance(d.get("schemaVersion"), int) or d["schemaVersion"] < 36:
        bad.append(f"schemaVersion {d.get('schemaVersion')!r}: want 36 or later")
    for k in ("uid", "title"):
        if not d.get(k):
            bad.append(f"dashboard {k} is missing")
    variables = {v["name"]: v for v in d.get("templating", {}).get("list", [])}
    ds = variables.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        bad.append("a `datasource` variable of type datasource with query prometheus is required")
    panels = []
    def walk(ps):
        for p in ps:
            panels.append(p)
            walk(p.get("panels", []))
    walk(d.get("panels", []))
    ids = [p.get("id") for p in panels]
    if None in ids:
        bad.append("a panel has no id")
    dupes = sorted({i for i in ids if i is not None and ids.count(i) > 1})
    if dupes:
        bad.append(f"duplicate panel ids: {dupes}")
    graphs = 0
    for p in panels:
        title = p.get("title", f"panel {p.get('id')}")
        if not p.get("gridPos"):
            bad.append(f"{title}: no gridPos")
        if p.get("type") == "row":
            continue
        graphs += 1
        pds = p.get("datasource") or {}
        if pds.get("uid") != "${datasource}":
            bad.append(f"{title}: panel datasource must be {{uid: ${{datasource}}}}")
        targets = p.get("targets") or []
        if not targets:
            bad.append(f"{title}: no targets")
        refs = [t.get("refId") for t in targets]
        if len(set(refs)) != len(refs) or None in refs:
            bad.append(f"{title}: refIds missing or repeated")
        for t in targets:
            if not str(t.get("expr", "")).strip():
                bad.append(f"{title}: target {t.get('refId')} has no expr")
            if (t.get("datasource") or {}).get("uid") not in (None, "${datasource}"):
                bad.append(f"{title}: target {t.get('refId')} uses another datasource")
        for v in re.findall(r"\$\{?(\w+)", json.dumps(targets)):
            if not v.startswith("__") and v not in variables:
                bad.append(f"{title}: uses undefined variable ${v}")
    if bad:
        fail("\n".join(bad))
    print(f"{graphs} panels with targets, {len(panels) - graphs} rows, ids unique")

elif cmd == "dashboard-exprs":
    # Every dashboard expression as a recording rule, variables replaced, so
    # that promtool parses them.
    path, out = args
    with open(path) as f:
        d = json.load(f)
    exprs = []
    def walk(ps):
        for p in ps:
            for t in p.get("targets", []):
                exprs.append((p.get("title"), t["expr"]))
            walk(p.get("panels", []))
    walk(d.get("panels", []))
    for v in d.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            q = v["query"] if isinstance(v["query"], str) else v["query"].get("query", "")
            m = re.fullmatch(r"label_values\((.*),\s*\w+\)", q.strip())
            exprs.append((f"variable {v['name']}", m.group(1) if m else q))
    # Annotation queries (maintenance windows) are PromQL too.
    for a in d.get("annotations", {}).get("list", []):
        if a.get("expr"):
            exprs.append((f"annotation {a['name']}", a["expr"]))
    def subst(e):
        e = e.replace("$__rate_interval", "5m").replace("$__interval", "1m").replace("$__range", "1h")
        return re.sub(r"\$\{?\w+(:\w+)?\}?", ".*", e)
    rules = [{"record": f"dashboard:expr_{i}", "expr": subst(e)} for i, (_, e) in enumerate(exprs)]
    with open(out, "w") as f:
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, f, sort_keys=False)
    print(f"{len(rules)} expressions")

elif cmd == "metric-names":
    # Every metric that the rules and the dashboard use is one the service
    # exports (the names module) or one of kube-state-metrics' / Prometheus'.
    names_rs, rules, recording, dash = args
    src = open(names_rs).read()
    exported = set(re.findall(r'pub const \w+: &str = "([a-z_:][a-z0-9_:]*)";', src))
    if not exported:
        fail(f"no metric names found in {names_rs}")
    external = {
        "up",
        "kube_deployment_status_replicas", "kube_deployment_status_replicas_available",
        "kube_horizontalpodautoscaler_status_current_replicas",
        "kube_horizontalpodautoscaler_status_desired_replicas",
        "kube_horizontalpodautoscaler_spec_max_replicas",
        "kube_horizontalpodautoscaler_status_condition",
    }
    texts = [r["expr"] for r in alerts(load_yaml(rules)["groups"])]
    recorded = {r["record"] for r in records(load_yaml(recording)["groups"])}
    texts += [r["expr"] for r in records(load_yaml(recording)["groups"])]
    with open(dash) as f:
        d = json.load(f)
    def walk(ps):
        for p in ps:
            for t in p.get("targets", []):
                texts.append(t["expr"])
            walk(p.get("panels", []))
    walk(d.get("panels", []))
    texts += [a["expr"] for a in d.get("annotations", {}).get("list", []) if a.get("expr")]
    for v in d.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            texts.append(v["query"] if isinstance(v["query"], str) else v["query"].get("query", ""))
    used = set()
    for t in texts:
        t = re.sub(r'"(?:[^"\\]|\\.)*"', '""', t)           # label values
        t = re.sub(r"\{[^}]*\}", "{}", t)                   # matchers
        t = re.sub(r"\[[^\]]*\]", "[]", t)                  # ranges
        for m in re.finditer(r"\b(?:http|graphql|db|cache|rate_limit|redis|health|kube)_[a-z0-9_]+|\bup\b", t):
            used.add(m.group(0))
    def known(n):
        if n in exported or n in external:
            return True
        base = re.sub(r"_(bucket|sum|count)$", "", n)
        return base in exported
    unknown = sorted(n for n in used if not known(n))
    # Recorded series (resourceful:...) that a query uses must be recorded.
    unknown += sorted({m for t in texts for m in re.findall(r"\bresourceful:[a-z0-9_:]+", t)} - recorded)
    if unknown:
        fail("metrics not exported by the service (" + names_rs + "), recorded by " + recording + " nor known external: " + ", ".join(unknown))
    print(f"{len(used)} metric names, all known")

elif cmd == "provisioning":
    ds_path, prov_path, dash_path = args
    bad = []
    ds = load_yaml(ds_path)
    if ds.get("apiVersion") != 1:
        bad.append(f"{ds_path}: apiVersion must be 1")
    proms = [x for x in ds.get("datasources", []) if x.get("type") == "prometheus"]
    if not proms:
        bad.append(f"{ds_path}: no prometheus data source")
    for x in proms:
        if not x.get("url") or not x.get("name"):
            bad.append(f"{ds_path}: data source needs name and url")
    prov = load_yaml(prov_path)
    if prov.get("apiVersion") != 1:
        bad.append(f"{prov_path}: apiVersion must be 1")
    files = [p for p in prov.get("providers", []) if p.get("type") == "file"]
    if not files:
        bad.append(f"{prov_path}: no provider of type file")
    for p in files:
        if not (p.get("options") or {}).get("path"):
            bad.append(f"{prov_path}: provider {p.get('name')} has no options.path")
    if not dash_path.endswith(".json"):
        bad.append("dashboard file must be .json")
    if bad:
        fail("\n".join(bad))
    print("data source and dashboard provider valid")

elif cmd == "readme":
    readme, rules = args
    text = open(readme).read()
    missing = [a["alert"] for a in alerts(load_yaml(rules)["groups"]) if a["alert"] not in text]
    if missing:
        fail("alerts not described in " + readme + ": " + ", ".join(missing))
    print("every alert is in the README")

else:
    fail(f"unknown subcommand {cmd}")
PYEOF
py() { "$PY" -c "$PYCODE" "$@"; }

if [ "${1:-}" = "--write-prometheusrule" ]; then
  py write-prometheusrule "$RULES" "$RECORDING" "$PROMRULE" || { fail "write $PROMRULE"; finish; }
elif [ -n "${1:-}" ]; then
  echo "usage: $0 [--write-prometheusrule]" >&2
  exit 2
fi

# --- Prometheus rules ------------------------------------------------------------
echo
echo "==> Prometheus rules"
check "promtool check rules $RULES" promtool check rules "$RULES"
check "promtool check rules $RECORDING" promtool check rules "$RECORDING"
check "alerts have severity, summary, description, runbook" py alert-metadata "$RULES"
if [ -f "$PROMRULE" ]; then
  check "PrometheusRule shape ($PROMRULE)" py promrule-shape "$PROMRULE" "$WORK/prometheusrule-groups.yaml"
  if [ -f "$WORK/prometheusrule-groups.yaml" ]; then
    check "promtool check rules on the PrometheusRule's groups" promtool check rules "$WORK/prometheusrule-groups.yaml"
  fi
  check "PrometheusRule groups identical to the rule files" py promrule-equal "$RULES" "$RECORDING" "$PROMRULE"
else
  fail "PrometheusRule exists ($PROMRULE)"
fi

echo
echo "==> promtool unit tests"
shopt -s nullglob
test_files=("$TESTS"/*.yaml)
if [ "${#test_files[@]}" -eq 0 ]; then
  fail "unit tests exist in $TESTS"
fi
cases=0
for t in "${test_files[@]}"; do
  n=$(py count-cases "$t" 2>/dev/null || echo 0)
  cases=$((cases + n))
  check "promtool test rules $t ($n cases)" promtool test rules "$t"
done
check "every alert has a firing and a quiet test case, every recording rule a test" py test-coverage "$RULES" "$RECORDING" "$TESTS"
echo "        ($cases test cases in ${#test_files[@]} files)"

# --- Grafana ---------------------------------------------------------------------
echo
echo "==> Grafana"
check "dashboard is valid JSON" "$PY" -m json.tool "$DASH"
check "dashboard structure (datasource variable, panels, targets, unique ids)" py dashboard "$DASH"
if py dashboard-exprs "$DASH" "$WORK/dashboard-exprs.yaml" >/dev/null 2>&1; then
  check "dashboard PromQL parses (promtool)" promtool check rules "$WORK/dashboard-exprs.yaml"
else
  fail "dashboard PromQL extracted"
fi
check "provisioning files" py provisioning "$MON/grafana/provisioning/datasources/prometheus.yaml" \
  "$MON/grafana/provisioning/dashboards/resourceful.yaml" "$DASH"

# --- consistency with the service and the docs ------------------------------------
echo
echo "==> consistency"
if [ -f "$NAMES" ]; then
  check "metric names used are exported by the service" py metric-names "$NAMES" "$RULES" "$RECORDING" "$DASH"
else
  fail "metric names module $NAMES exists"
fi
check "README lists every alert" py readme "$MON/README.md" "$RULES"

finish
