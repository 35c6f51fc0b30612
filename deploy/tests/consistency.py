"""Cross-file checks of the deployment files that no schema or linter makes.

    python deploy/tests/consistency.py workflows   # pipelines vs overlays, pins, permissions
    python deploy/tests/consistency.py adapter     # prometheus-adapter rules vs the service's metrics
    python deploy/tests/consistency.py readme      # deploy/README.md names every file
    python deploy/tests/consistency.py namespaces  # namespaces.yaml vs the overlays
"""
import os
import re
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKFLOWS = os.path.join(ROOT, ".github/workflows")
NAMES_RS = os.path.join(ROOT, "runtime/src/observe/names.rs")


def fail(lines):
    print("\n".join(lines))
    sys.exit(1)


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def overlay_host(env):
    out = subprocess.run(["kubectl", "kustomize", os.path.join(ROOT, "deploy/k8s/overlays", env)],
                         capture_output=True, text=True, check=True).stdout
    for d in yaml.safe_load_all(out):
        if d and d["kind"] == "Ingress":
            return d["spec"]["rules"][0]["host"]
    raise SystemExit(f"no Ingress in overlay {env}")


def workflows():
    bad = []
    files = sorted(f for f in os.listdir(WORKFLOWS) if f.endswith((".yml", ".yaml")))
    docs = {}
    for f in files:
        path = os.path.join(WORKFLOWS, f)
        text = open(path).read()
        doc = load(path)
        docs[f] = doc
        if doc.get("permissions") != {}:
            bad.append(f"{f}: top-level `permissions: {{}}` is required (each job asks for what it needs)")
        for line_no, line in enumerate(text.splitlines(), 1):
            m = re.search(r"uses:\s*([^\s#]+)(\s*#\s*(\S+))?", line)
            if not m or m.group(1).startswith("./"):
                continue
            ref = m.group(1).rpartition("@")[2]
            if not re.fullmatch(r"[0-9a-f]{40}", ref):
                bad.append(f"{f}:{line_no}: {m.group(1)} is not pinned to a full commit SHA")
            elif not (m.group(3) or "").startswith("v"):
                bad.append(f"{f}:{line_no}: {m.group(1)}: add the release as a comment (`# vX.Y.Z`)")
        for name, job in (doc.get("jobs") or {}).items():
            if "permissions" not in job:
                bad.append(f"{f}: job {name} has no permissions block")
            for step in job.get("steps", []):
                if "${{" in str(step.get("run", "")):
                    bad.append(f"{f}: job {name}, step {step.get('name', step.get('uses'))}: "
                               "an expression inside run:; pass it through env:")
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    if (step.get("with") or {}).get("persist-credentials") is not False:
                        bad.append(f"{f}: job {name}: checkout without persist-credentials: false")
    ci, deploy = docs.get("ci.yml"), docs.get("deploy.yml")
    if not ci or not deploy:
        fail(bad + ["ci.yml and deploy.yml are both required"])
    a = {k: v for k, v in ci["jobs"]["test"].items() if k != "concurrency"}
    b = {k: v for k, v in deploy["jobs"].get("test", {}).items() if k != "concurrency"}
    if a != b:
        bad.append("the test job of deploy.yml differs from ci.yml's: keep them the same")
    jobs = deploy["jobs"]
    chain = [("deploy-dev", "dev", "dev", ["image"]), ("smoke-dev", None, "dev", ["deploy-dev"]),
             ("deploy-staging", "staging", "staging", ["image", "smoke-dev"]),
             ("smoke-staging", None, "staging", ["deploy-staging"]),
             ("deploy-prod", "production", "prod", ["image", "smoke-staging"])]
    for job, environment, overlay, needs in chain:
        j = jobs.get(job)
        if not j:
            bad.append(f"deploy.yml: job {job} is missing")
            continue
        got = j.get("needs", [])
        got = [got] if isinstance(got, str) else got
        if sorted(got) != sorted(needs):
            bad.append(f"deploy.yml: {job} needs {got}, want {needs}")
        url = f"https://{overlay_host(overlay)}"
        env = j.get("environment")
        if environment:
            if not isinstance(env, dict) or env.get("name") != environment:
                bad.append(f"deploy.yml: {job} must run in the environment {environment!r}")
            elif env.get("url") != url:
                bad.append(f"deploy.yml: {job} environment url {env.get('url')} is not the overlay's host {url}")
            text = yaml.safe_dump(j)
            if f"render.sh {overlay} " not in text:
                bad.append(f"deploy.yml: {job} does not render the {overlay} overlay")
        smoke = (j.get("env") or {}).get("SMOKE_URL")
        if smoke is not None and smoke != url:
            bad.append(f"deploy.yml: {job} smoke-tests {smoke}, but the {overlay} overlay's host is {url}")
        if job.startswith("smoke") and smoke is None:
            bad.append(f"deploy.yml: {job} has no SMOKE_URL")
    if bad:
        fail(bad)
    print(f"{len(files)} workflows: actions pinned, least privilege, no expressions in run:, "
          "smoke URLs and environments match the overlays")


def adapter():
    bad = []
    doc = load(os.path.join(ROOT, "deploy/k8s/prometheus-adapter/rules.yaml"))
    exported = set(re.findall(r'pub const \w+: &str = "([a-z_:][a-z0-9_:]*)";', open(NAMES_RS).read()))
    for r in doc.get("rules", []):
        series = re.match(r"\s*([a-zA-Z_:][a-zA-Z0-9_:]*)", r.get("seriesQuery", ""))
        if not series or series.group(1) not in exported:
            bad.append(f"seriesQuery {r.get('seriesQuery')!r}: not a metric the service exports ({NAMES_RS})")
        ov = (r.get("resources") or {}).get("overrides") or {}
        if (ov.get("namespace") or {}).get("resource") != "namespace" or (ov.get("pod") or {}).get("resource") != "pod":
            bad.append("resources.overrides must map the namespace and pod labels")
        q = r.get("metricsQuery", "")
        for placeholder in ("<<.LabelMatchers>>", "<<.GroupBy>>"):
            if placeholder not in q:
                bad.append(f"metricsQuery lacks {placeholder}")
        if series and series.group(1) not in q:
            bad.append(f"metricsQuery does not read {series.group(1)}")
        name = r.get("name") or {}
        if not name.get("as") or not name.get("matches"):
            bad.append("name.matches and name.as are required")
    if bad:
        fail(bad)
    print(f"{len(doc['rules'])} adapter rule(s) on metrics the service exports")


def readme():
    text = open(os.path.join(ROOT, "deploy/README.md")).read()
    missing = []
    for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, "deploy")):
        rel_dir = os.path.relpath(dirpath, os.path.join(ROOT, "deploy"))
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "__pycache__"]
        if rel_dir.startswith("monitoring"):
            continue  # described by deploy/monitoring/README.md
        for f in filenames:
            if f.startswith(".") or f.endswith(".pyc"):
                continue
            rel = os.path.normpath(os.path.join(rel_dir, f))
            if rel == "README.md":
                continue
            if rel not in text and (os.path.dirname(rel) + "/") not in text:
                missing.append(rel)
    if missing:
        fail(["deploy/README.md does not describe: " + ", ".join(sorted(missing))])
    print("deploy/README.md describes every file")


def namespaces():
    with open(os.path.join(ROOT, "deploy/k8s/namespaces.yaml")) as f:
        declared = {d["metadata"]["name"]: d for d in yaml.safe_load_all(f) if d}
    bad = []
    overlays = os.path.join(ROOT, "deploy/k8s/overlays")
    for env in sorted(os.listdir(overlays)):
        ns = load(os.path.join(overlays, env, "kustomization.yaml")).get("namespace")
        if ns not in declared:
            bad.append(f"overlay {env}: namespace {ns!r} is not in deploy/k8s/namespaces.yaml")
        elif declared[ns]["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce") != "restricted":
            bad.append(f"namespace {ns}: pod-security.kubernetes.io/enforce must be restricted")
    if bad:
        fail(bad)
    print(f"{len(declared)} namespaces, one per overlay, Pod Security restricted")


if __name__ == "__main__":
    {"workflows": workflows, "adapter": adapter, "readme": readme, "namespaces": namespaces}[sys.argv[1]]()
