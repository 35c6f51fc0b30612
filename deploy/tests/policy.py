"""Policy checks of a rendered overlay (the output of deploy/k8s/render.sh).

    python deploy/tests/policy.py RENDERED.yaml
    python deploy/tests/policy.py --self-test RENDERED.yaml

Schemas say whether a manifest is well formed; these checks say whether it
is what we mean to run: pinned images, resources, probes, a restricted
security context, configuration only from the ConfigMap and the (absent)
Secret, a PodDisruptionBudget and an HPA for every workload, and the
cross-file facts the monitoring, the canary and the service's own
configuration rely on. The second form breaks the rendered objects in
several ways, one at a time, and fails unless every break is reported.
"""
import copy
import ipaddress
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG_RS = os.path.join(ROOT, "runtime/src/config.rs")
SERVICE_MAIN = os.path.join(ROOT, "example-service/src/main.rs")
SETTINGS_RS = [os.path.join(ROOT, p) for p in ("runtime/src/auth/settings.rs", "runtime/src/audit/mod.rs", "runtime/src/maintenance/mod.rs", "runtime/src/migrate/mod.rs")]
# Read by the service, deliberately not set in a cluster.
NOT_IN_CLUSTER = {
    "AUTH_DEV_SECRET": "the development issuer's seed; the issuer is off in every overlay",
    "AUTH_HS256_SECRET": "shared-secret tokens: a secret, added to the Secret only where an issuer signs with HS256",
}
ADAPTER_RULES = os.path.join(ROOT, "deploy/k8s/prometheus-adapter/rules.yaml")

NAME = "resourceful-api"
SECRET = "resourceful-api-secrets"
SECRET_KEYS = {"DATABASE_URL", "REDIS_URL", "ADMIN_TOKEN", "API_KEYS", "MAINTENANCE_WEBHOOK_SECRET"}
# Read by the service but not through Config::from_lookup.
EXTRA_VARIABLES = {
    "RUST_LOG": "the log filter (tracing's EnvFilter, runtime/src/telemetry.rs)",
}
# The base's placeholder egress addresses: every overlay replaces them.
BASE_PLACEHOLDER_CIDRS = {"192.0.2.1/32", "192.0.2.2/32", "192.0.2.3/32"}
DIGEST_IMAGE = re.compile(r"^[a-z0-9.\-/:_]+@sha256:[0-9a-f]{64}$")
WORKLOAD_KINDS = {"Deployment", "Rollout", "StatefulSet", "DaemonSet"}


def service_variables():
    """Environment variables the service reads (names in quotes inside
    Config::from_lookup, plus the example binary's own)."""
    src = open(CONFIG_RS).read()
    body = src[src.index("pub fn from_lookup"):src.index("#[cfg(test)]")]
    names = set(re.findall(r'"([A-Z][A-Z0-9_]+)"', body))
    # Settings read by their own modules (from the same lookup).
    for extra in SETTINGS_RS:
        src = open(extra).read()
        code = src[:src.index("#[cfg(test)]")] if "#[cfg(test)]" in src else src
        names |= set(re.findall(r'(?:get|secs)\("([A-Z][A-Z0-9_]+)"', code))
    names -= NOT_IN_CLUSTER.keys()
    names |= set(re.findall(r'env::var\("([A-Z][A-Z0-9_]+)"\)', open(SERVICE_MAIN).read()))
    return names


def key(o):
    return f"{o.get('kind')}/{o.get('metadata', {}).get('name')}"


def pod_template(o):
    if o["kind"] == "Rollout":
        return o["spec"].get("template")
    if o["kind"] in WORKLOAD_KINDS:
        return o["spec"]["template"]
    return None


def selector_matches(selector, labels):
    for k, v in (selector or {}).get("matchLabels", {}).items():
        if labels.get(k) != v:
            return False
    for e in (selector or {}).get("matchExpressions", []):
        val = labels.get(e["key"])
        op = e["operator"]
        if op == "In" and val not in e["values"]:
            return False
        if op == "NotIn" and val in e["values"]:
            return False
        if op == "Exists" and val is None:
            return False
        if op == "DoesNotExist" and val is not None:
            return False
    return bool(selector)


def check_configmap_values(data, where):
    bad = []
    num = re.compile(r"^\d+$")
    for k, v in data.items():
        v = str(v)
        if re.search(r"(_SECS|_MS|_US|_BYTES|_ENTRIES|_CONNECTIONS|_DEPTH|_COMPLEXITY|_PERCENT|^PORT|^BATCH_MAX|^BATCH_CONCURRENCY)$", k):
            if not num.match(v):
                bad.append(f"{where}: {k}={v!r} is not a whole number")
        elif k in ("RATE_LIMIT_ENABLED", "API_OPTIMIZATION_ENABLED", "GRAPHQL_RESPONSE_CACHE", "SEED_DEMO"):
            if v not in ("true", "false", "1", "0"):
                bad.append(f"{where}: {k}={v!r}: use true or false")
        elif k.startswith("RATE_LIMIT_") and k in ("RATE_LIMIT_READ", "RATE_LIMIT_WRITE", "RATE_LIMIT_GRAPHQL"):
            if not re.match(r"^[1-9]\d*/\d*(s|sec|second|m|min|minute|h|hour|d|day)$", v):
                bad.append(f"{where}: {k}={v!r} is not a rate like 6000/min")
        elif k == "RATE_LIMIT_ON_REDIS_FAILURE" and v not in ("open", "closed"):
            bad.append(f"{where}: {k}={v!r}: use open or closed")
        elif k == "RATE_LIMIT_HEADERS" and v not in ("draft-09", "draft-06"):
            bad.append(f"{where}: {k}={v!r}: use draft-09 or draft-06")
        elif k == "LOG_FORMAT" and v not in ("json", "pretty", ""):
            bad.append(f"{where}: {k}={v!r}: use json or pretty")
        elif k == "SPIKE_THRESHOLD":
            try:
                float(v)
            except ValueError:
                bad.append(f"{where}: {k}={v!r} is not a number")
        elif k == "BIND":
            try:
                ipaddress.ip_address(v)
            except ValueError:
                bad.append(f"{where}: BIND={v!r} is not an IP address")
        elif k == "TRUSTED_PROXIES":
            for part in [p.strip() for p in v.split(",") if p.strip()]:
                try:
                    ipaddress.ip_network(part, strict=False)
                except ValueError:
                    bad.append(f"{where}: TRUSTED_PROXIES: {part!r} is not an IP or CIDR")
    return bad


def check(docs):
    bad = []
    by_kind = {}
    for o in docs:
        by_kind.setdefault(o["kind"], []).append(o)
    configmaps = {o["metadata"]["name"]: o for o in by_kind.get("ConfigMap", [])}
    services = {o["metadata"]["name"]: o for o in by_kind.get("Service", [])}
    ingresses = {o["metadata"]["name"]: o for o in by_kind.get("Ingress", [])}

    # --- Secrets: referenced, never shipped ------------------------------------
    for o in by_kind.get("Secret", []):
        if o.get("data") or o.get("stringData"):
            bad.append(f"{key(o)}: a Secret with data is in the repository; create it in the cluster instead")

    # --- workloads --------------------------------------------------------------
    referenced = {(r["spec"]["workloadRef"]["kind"], r["spec"]["workloadRef"]["name"])
                  for r in by_kind.get("Rollout", []) if r["spec"].get("workloadRef")}
    workloads = []
    for o in docs:
        if o["kind"] not in WORKLOAD_KINDS:
            continue
        if (o["kind"], o["metadata"]["name"]) in referenced:
            # Its template runs under the Rollout; the Rollout is the workload.
            continue
        workloads.append(o)
    if not workloads:
        bad.append("no workload (Deployment or Rollout) rendered")

    templates = []
    for o in docs:
        t = pod_template(o)
        if t:
            templates.append((o, t))
    for r in by_kind.get("Rollout", []):
        ref = r["spec"].get("workloadRef")
        if ref:
            target = [o for o in docs if o["kind"] == ref["kind"] and o["metadata"]["name"] == ref["name"]]
            if not target:
                bad.append(f"{key(r)}: workloadRef {ref['kind']}/{ref['name']} is not rendered")
            elif not r["spec"].get("template"):
                templates.append((r, target[0]["spec"]["template"]))
        elif not r["spec"].get("template"):
            bad.append(f"{key(r)}: neither template nor workloadRef")

    cm_data = {}
    for o, t in templates:
        spec = t["spec"]
        where = key(o)
        psc = spec.get("securityContext", {})
        if spec.get("automountServiceAccountToken") is not False:
            bad.append(f"{where}: automountServiceAccountToken must be false (the service calls no Kubernetes API)")
        for c in spec.get("initContainers", []) + spec.get("containers", []):
            cw = f"{where} container {c['name']}"
            image = c.get("image", "")
            if image.endswith(":latest") or ":latest@" in image:
                bad.append(f"{cw}: image {image}: no `latest` tag")
            if not DIGEST_IMAGE.match(image):
                bad.append(f"{cw}: image {image!r} is not pinned by digest (render with deploy/k8s/render.sh ENV IMAGE@sha256:...)")
            res = c.get("resources", {})
            for part in ("requests", "limits"):
                for r in ("cpu", "memory"):
                    if r not in res.get(part, {}):
                        bad.append(f"{cw}: resources.{part}.{r} is missing")
            if c in spec.get("containers", []):
                for p in ("startupProbe", "readinessProbe", "livenessProbe"):
                    if p not in c:
                        bad.append(f"{cw}: {p} is missing")
            sc = c.get("securityContext", {})
            if not (sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True):
                bad.append(f"{cw}: runAsNonRoot must be true")
            uid = sc.get("runAsUser", psc.get("runAsUser"))
            if not isinstance(uid, int) or uid == 0:
                bad.append(f"{cw}: runAsUser must be a non-zero uid")
            if sc.get("readOnlyRootFilesystem") is not True:
                bad.append(f"{cw}: readOnlyRootFilesystem must be true")
            if sc.get("allowPrivilegeEscalation") is not False:
                bad.append(f"{cw}: allowPrivilegeEscalation must be false")
            if sc.get("privileged"):
                bad.append(f"{cw}: privileged")
            if "ALL" not in (sc.get("capabilities", {}).get("drop") or []):
                bad.append(f"{cw}: capabilities.drop must include ALL")
            if (sc.get("capabilities", {}).get("add")):
                bad.append(f"{cw}: capabilities.add is not allowed")
            seccomp = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
            if seccomp not in ("RuntimeDefault", "Localhost"):
                bad.append(f"{cw}: seccompProfile must be RuntimeDefault")
            # Configuration only from the ConfigMap and the Secret.
            provided = set()
            for e in c.get("env", []):
                vf = e.get("valueFrom", {})
                if "value" in e:
                    bad.append(f"{cw}: env {e['name']} has a literal value; put it in the ConfigMap")
                elif "secretKeyRef" in vf:
                    ref = vf["secretKeyRef"]
                    if ref.get("name") != SECRET:
                        bad.append(f"{cw}: env {e['name']} reads Secret {ref.get('name')}, expected {SECRET}")
                    if e["name"] not in SECRET_KEYS:
                        bad.append(f"{cw}: env {e['name']} comes from the Secret but is not a secret setting")
                    if e["name"] == "DATABASE_URL" and ref.get("optional") is not False:
                        bad.append(f"{cw}: DATABASE_URL must be required (optional: false)")
                    provided.add(e["name"])
                elif "configMapKeyRef" in vf:
                    provided.add(e["name"])
                else:
                    bad.append(f"{cw}: env {e['name']} must come from the ConfigMap or the Secret")
            for ef in c.get("envFrom", []):
                if "configMapRef" in ef:
                    name = ef["configMapRef"]["name"]
                    if name not in configmaps:
                        bad.append(f"{cw}: envFrom ConfigMap {name} is not rendered")
                    else:
                        cm_data = configmaps[name].get("data", {})
                        provided |= set(cm_data)
                        bad += check_configmap_values(cm_data, f"ConfigMap/{name}")
                elif "secretRef" in ef:
                    bad.append(f"{cw}: envFrom a whole Secret; reference its keys one by one")
            missing = SECRET_KEYS - provided
            if missing:
                bad.append(f"{cw}: secret settings not referenced: {sorted(missing)}")
            wanted = service_variables() | set(EXTRA_VARIABLES)
            for v in sorted(wanted - provided):
                bad.append(f"{cw}: the service reads {v} but the ConfigMap does not set it")
            for v in sorted(provided - wanted):
                bad.append(f"{cw}: {v} is set but the service does not read it (misspelt?)")
            # The port the service listens on is the one named http.
            ports = {p.get("name"): p.get("containerPort") for p in c.get("ports", [])}
            if ports.get("http") is None:
                bad.append(f"{cw}: no container port named http")
            elif cm_data.get("PORT") and int(cm_data["PORT"]) != ports["http"]:
                bad.append(f"{cw}: PORT={cm_data['PORT']} but the http port is {ports['http']}")
            # Timing: the drain fits in the grace period, the database wait in
            # the startup probe.
            if cm_data:
                pre = ((c.get("lifecycle") or {}).get("preStop") or {}).get("sleep", {}).get("seconds", 0)
                need = pre + int(cm_data.get("DRAIN_DELAY_SECS", 0)) + int(cm_data.get("SHUTDOWN_TIMEOUT_SECS", 30))
                grace = spec.get("terminationGracePeriodSeconds", 30)
                if grace <= need:
                    bad.append(f"{where}: terminationGracePeriodSeconds {grace} must exceed preStop {pre} + "
                               f"DRAIN_DELAY_SECS + SHUTDOWN_TIMEOUT_SECS = {need}")
                sp = c.get("startupProbe")
                if sp:
                    budget = sp.get("periodSeconds", 10) * sp.get("failureThreshold", 3) + sp.get("initialDelaySeconds", 0)
                    wait = int(cm_data.get("DATABASE_CONNECT_TIMEOUT_SECS", 60))
                    if budget <= wait:
                        bad.append(f"{cw}: startupProbe allows {budget} s, not more than DATABASE_CONNECT_TIMEOUT_SECS {wait} s")
            for p, path in (("startupProbe", "/health/live"), ("livenessProbe", "/health/live"), ("readinessProbe", "/health/ready")):
                got = ((c.get(p) or {}).get("httpGet") or {}).get("path")
                if c.get(p) and got != path:
                    bad.append(f"{cw}: {p} should GET {path}, not {got}")
        mounts = {m["mountPath"] for c in spec.get("containers", []) for m in c.get("volumeMounts", [])}
        if "/tmp" not in mounts:
            bad.append(f"{where}: no writable /tmp (the image's working directory) on a read-only root")

    # --- every workload has an HPA and a PDB -------------------------------------
    hpas = by_kind.get("HorizontalPodAutoscaler", [])
    pdbs = by_kind.get("PodDisruptionBudget", [])
    for w in workloads:
        group = "argoproj.io" if w["kind"] == "Rollout" else "apps"
        targeting = [h for h in hpas
                     if h["spec"]["scaleTargetRef"]["kind"] == w["kind"]
                     and h["spec"]["scaleTargetRef"]["name"] == w["metadata"]["name"]
                     and h["spec"]["scaleTargetRef"].get("apiVersion", "").split("/")[0] == group]
        if len(targeting) != 1:
            bad.append(f"{key(w)}: {len(targeting)} HorizontalPodAutoscalers target it, want 1")
        t = pod_template(w) or next(tt for oo, tt in templates if oo is w)
        labels = t["metadata"].get("labels", {})
        covering = [p for p in pdbs if selector_matches(p["spec"].get("selector"), labels)]
        if len(covering) != 1:
            bad.append(f"{key(w)}: {len(covering)} PodDisruptionBudgets select its pods, want 1")
        if w["spec"].get("replicas") is not None:
            bad.append(f"{key(w)}: spec.replicas is set; the HPA owns the count")
    for h in hpas:
        s = h["spec"]
        if h["metadata"]["name"] != NAME:
            bad.append(f"{key(h)}: the alerts expect the HPA to be named {NAME}")
        if not (1 <= s.get("minReplicas", 1) <= s["maxReplicas"]):
            bad.append(f"{key(h)}: minReplicas {s.get('minReplicas')} / maxReplicas {s['maxReplicas']}")
        kinds = {(m["type"], (m.get("resource") or {}).get("name") or ((m.get("pods") or {}).get("metric") or {}).get("name")) for m in s.get("metrics", [])}
        for want in (("Resource", "cpu"), ("Resource", "memory")):
            if want not in kinds:
                bad.append(f"{key(h)}: no {want[1]} metric")
        adapter = {r["name"]["as"] for r in yaml.safe_load(open(ADAPTER_RULES))["rules"]}
        for t, n in kinds:
            if t == "Pods" and n not in adapter:
                bad.append(f"{key(h)}: Pods metric {n} is not served by the prometheus-adapter rules")
    for p in pdbs:
        if "maxUnavailable" not in p["spec"] and "minAvailable" not in p["spec"]:
            bad.append(f"{key(p)}: neither maxUnavailable nor minAvailable")

    # --- Service, ServiceMonitor, Ingress, NetworkPolicy ---------------------------
    svc = services.get(NAME)
    if not svc:
        bad.append(f"no Service {NAME}")
    else:
        if not any(p.get("name") == "http" for p in svc["spec"].get("ports", [])):
            bad.append(f"Service/{NAME}: no port named http")
    for sm in by_kind.get("ServiceMonitor", []):
        sel = sm["spec"]["selector"]
        chosen = [s for s in services.values() if selector_matches(sel, s["metadata"].get("labels", {}))]
        if [s["metadata"]["name"] for s in chosen] != [NAME]:
            bad.append(f"{key(sm)}: selects Services {[s['metadata']['name'] for s in chosen]}, want only {NAME} "
                       "(each pod must be scraped once)")
        job = svc["metadata"].get("labels", {}).get(sm["spec"].get("jobLabel"), NAME) if svc else None
        if job != NAME:
            bad.append(f"{key(sm)}: the job label would be {job!r}; the alerts select job={NAME!r}")
        eps = sm["spec"].get("endpoints", [])
        if not any(e.get("port") == "http" and e.get("path", "/metrics") == "/metrics" for e in eps):
            bad.append(f"{key(sm)}: no endpoint scraping /metrics on port http")
    if not by_kind.get("ServiceMonitor"):
        bad.append("no ServiceMonitor")
    if not by_kind.get("PrometheusRule"):
        bad.append("no PrometheusRule")
    for ing in ingresses.values():
        s = ing["spec"]
        rule_hosts = {r.get("host") for r in s.get("rules", [])}
        tls_hosts = {h for t in s.get("tls", []) for h in t.get("hosts", [])}
        if rule_hosts != tls_hosts:
            bad.append(f"{key(ing)}: TLS hosts {sorted(tls_hosts)} differ from rule hosts {sorted(rule_hosts)}")
        if not ing["metadata"].get("annotations", {}).get("cert-manager.io/cluster-issuer"):
            bad.append(f"{key(ing)}: no cert-manager.io/cluster-issuer annotation")
        if s.get("ingressClassName") != "nginx":
            bad.append(f"{key(ing)}: ingressClassName must be nginx")
        for r in s.get("rules", []):
            for p in r.get("http", {}).get("paths", []):
                b = p["backend"]["service"]
                if b["name"] not in services:
                    bad.append(f"{key(ing)}: backend Service {b['name']} is not rendered")
    for np in by_kind.get("NetworkPolicy", []):
        for rule in np["spec"].get("egress", []):
            for peer in rule.get("to", []):
                cidr = (peer.get("ipBlock") or {}).get("cidr")
                if cidr in BASE_PLACEHOLDER_CIDRS:
                    bad.append(f"{key(np)}: egress address {cidr} is the base's placeholder; set it in the overlay")
    if not by_kind.get("NetworkPolicy"):
        bad.append("no NetworkPolicy")

    # --- the canary ---------------------------------------------------------------------
    templates_by_name = {o["metadata"]["name"]: o for o in by_kind.get("AnalysisTemplate", [])}
    for r in by_kind.get("Rollout", []):
        canary = r["spec"].get("strategy", {}).get("canary")
        if not canary:
            continue
        for k in ("stableService", "canaryService"):
            if canary.get(k) not in services:
                bad.append(f"{key(r)}: {k} {canary.get(k)} is not rendered")
            elif services[canary[k]]["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "api":
                bad.append(f"{key(r)}: {k} must not carry component=api (it would be scraped twice)")
        nginx = (canary.get("trafficRouting") or {}).get("nginx")
        if not nginx:
            bad.append(f"{key(r)}: no nginx trafficRouting; weights would be shares of pods, not of requests")
        else:
            ing = ingresses.get(nginx.get("stableIngress"))
            if not ing:
                bad.append(f"{key(r)}: stableIngress {nginx.get('stableIngress')} is not rendered")
            else:
                backends = {p["backend"]["service"]["name"] for rr in ing["spec"]["rules"] for p in rr["http"]["paths"]}
                if backends != {canary.get("stableService")}:
                    bad.append(f"{key(r)}: the stable Ingress routes to {sorted(backends)}, not to the stableService")
        analysis = canary.get("analysis") or {}
        passed = {a["name"] for a in analysis.get("args", [])}
        for t in analysis.get("templates", []):
            at = templates_by_name.get(t["templateName"])
            if not at:
                bad.append(f"{key(r)}: AnalysisTemplate {t['templateName']} is not rendered")
                continue
            for a in at["spec"].get("args", []):
                if "value" not in a and "valueFrom" not in a and a["name"] not in passed:
                    bad.append(f"{key(r)}: AnalysisTemplate {t['templateName']} needs arg {a['name']}")
        weights = [s["setWeight"] for s in canary.get("steps", []) if "setWeight" in s]
        if weights != sorted(weights):
            bad.append(f"{key(r)}: canary weights {weights} are not increasing")
    return bad


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def first(docs, kind, name=None):
    for o in docs:
        if o["kind"] == kind and (name is None or o["metadata"]["name"] == name):
            return o
    raise KeyError(kind)


def container(docs):
    return first(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]


def _set_latest(d):
    container(d)["image"] = "ghcr.io/example/resourceful-api:latest"


def _drop_limits(d):
    del container(d)["resources"]["limits"]


def _literal_env(d):
    container(d)["env"].append({"name": "LOG_FORMAT", "value": "json"})


def _drop_probe(d):
    del container(d)["readinessProbe"]


def _secret_with_data(d):
    d.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": SECRET}, "data": {"DATABASE_URL": "eA=="}})


def _rename_hpa_target(d):
    first(d, "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]["name"] = "other"


def _drop_pdb(d):
    d.remove(first(d, "PodDisruptionBudget"))


def _writable_root(d):
    container(d)["securityContext"]["readOnlyRootFilesystem"] = False


def _keep_caps(d):
    container(d)["securityContext"]["capabilities"]["drop"] = ["NET_RAW"]


def _root_user(d):
    container(d)["securityContext"]["runAsNonRoot"] = False


def _misspelt_config(d):
    cm = first(d, "ConfigMap")
    cm["data"]["CACHE_TTL_SEC"] = cm["data"].pop("CACHE_TTL_SECS")


def _bad_config_value(d):
    first(d, "ConfigMap")["data"]["RATE_LIMIT_READ"] = "6000 per minute"


def _short_grace(d):
    first(d, "Deployment")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 30


def _optional_db(d):
    container(d)["env"][0]["valueFrom"]["secretKeyRef"]["optional"] = True


def _placeholder_cidr(d):
    first(d, "NetworkPolicy")["spec"]["egress"][1]["to"][0]["ipBlock"]["cidr"] = "192.0.2.1/32"


def _unpinned(d):
    container(d)["image"] = "ghcr.io/example/resourceful-api:1.2.3"


MUTATIONS = [
    ("an image tagged latest", _set_latest),
    ("an image by tag, not digest", _unpinned),
    ("no resource limits", _drop_limits),
    ("a literal env value", _literal_env),
    ("no readiness probe", _drop_probe),
    ("a Secret with data", _secret_with_data),
    ("an HPA targeting something else", _rename_hpa_target),
    ("no PodDisruptionBudget", _drop_pdb),
    ("a writable root file system", _writable_root),
    ("capabilities not dropped", _keep_caps),
    ("runAsNonRoot false", _root_user),
    ("a misspelt ConfigMap key", _misspelt_config),
    ("a malformed rate", _bad_config_value),
    ("a grace period shorter than the drain", _short_grace),
    ("an optional DATABASE_URL", _optional_db),
    ("a placeholder egress address left", _placeholder_cidr),
]


def main():
    args = sys.argv[1:]
    if args and args[0] == "--self-test":
        docs = load(args[1])
        base = check(docs)
        if base:
            print("the rendered objects fail the policy themselves:", *base, sep="\n  ")
            sys.exit(1)
        missed = []
        for what, mutate in MUTATIONS:
            d = copy.deepcopy(docs)
            mutate(d)
            if not check(d):
                missed.append(f"{what}: not reported")
        if missed:
            print("\n".join(missed))
            sys.exit(1)
        print(f"{len(MUTATIONS)} broken variants all reported")
        return
    docs = load(args[0])
    bad = check(docs)
    if bad:
        print("\n".join(bad))
        sys.exit(1)
    kinds = sorted({o["kind"] for o in docs})
    print(f"{len(docs)} objects ({', '.join(kinds)}) meet the policy")


if __name__ == "__main__":
    main()
