"""Strict validation of custom resources against their CRD schemas.

    python deploy/tests/crd_validate.py RENDERED.yaml...
    python deploy/tests/crd_validate.py --self-test RENDERED.yaml

Validates every Rollout, AnalysisTemplate, ServiceMonitor and PrometheusRule
against the schemas in deploy/schemas/crds/, made strict (see the README
there): an unknown or misspelt field fails, as it would silently be pruned
by the API server. Core kinds are kubernetes-validate's business; any other
kind has no schema here and fails. The second form misspells one field of
each custom resource and fails unless every one is rejected.
"""
import copy
import json
import os
import re
import sys

import jsonschema
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMAS = os.path.join(ROOT, "deploy/schemas/crds")
CRDS = {
    ("argoproj.io/v1alpha1", "Rollout"): "rollout-argoproj-v1alpha1.json",
    ("argoproj.io/v1alpha1", "AnalysisTemplate"): "analysistemplate-argoproj-v1alpha1.json",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "servicemonitor-monitoring-v1.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "prometheusrule-monitoring-v1.json",
}
METADATA_KEYS = {"name", "namespace", "labels", "annotations"}
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


def strict(schema):
    """Adds additionalProperties: false wherever an object schema lists its
    properties and says nothing about others."""
    if isinstance(schema, dict):
        if ("properties" in schema and "additionalProperties" not in schema
                and not schema.get("x-kubernetes-preserve-unknown-fields")):
            schema["additionalProperties"] = False
        for v in schema.values():
            strict(v)
    elif isinstance(schema, list):
        for v in schema:
            strict(v)
    return schema


_validators = {}


def validator(api_version, kind):
    k = (api_version, kind)
    if k not in _validators:
        path = os.path.join(SCHEMAS, CRDS[k])
        with open(path) as f:
            schema = strict(json.load(f))
        _validators[k] = jsonschema.Draft7Validator(schema)
    return _validators[k]


def is_core(api_version):
    group = api_version.split("/")[0] if "/" in api_version else ""
    return group == "" or "." not in group or group.endswith(".k8s.io")


def check_metadata(o):
    bad = []
    md = o.get("metadata") or {}
    extra = set(md) - METADATA_KEYS
    if extra:
        bad.append(f"metadata has unexpected fields {sorted(extra)}")
    if not DNS_SUBDOMAIN.match(str(md.get("name", ""))):
        bad.append(f"metadata.name {md.get('name')!r} is not a valid name")
    for part in ("labels", "annotations"):
        for k, v in (md.get(part) or {}).items():
            if not isinstance(v, str):
                bad.append(f"metadata.{part}.{k} is not a string")
    return bad


def check_docs(docs, where):
    bad, counted = [], 0
    for o in docs:
        av, kind = o.get("apiVersion", ""), o.get("kind", "")
        name = (o.get("metadata") or {}).get("name")
        if (av, kind) in CRDS:
            counted += 1
            errors = sorted(validator(av, kind).iter_errors(o), key=lambda e: list(e.absolute_path))
            for e in errors:
                path = "/".join(str(p) for p in e.absolute_path) or "(root)"
                bad.append(f"{where}: {kind}/{name} at {path}: {e.message}")
            bad += [f"{where}: {kind}/{name}: {m}" for m in check_metadata(o)]
        elif not is_core(av):
            bad.append(f"{where}: {kind} ({av}) has no schema in {SCHEMAS}: add its CRD schema")
    return bad, counted


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def misspell(o, path):
    """Renames the last key on `path` (a list of keys and indexes)."""
    node = o
    for p in path[:-1]:
        node = node[p]
    node[path[-1] + "x"] = node.pop(path[-1])


SELF_TEST = [
    ("Rollout", ["spec", "strategy", "canary", "trafficRouting", "nginx", "stableIngress"]),
    ("Rollout", ["spec", "workloadRef", "scaleDown"]),
    ("Rollout", ["spec", "strategy", "canary", "analysis", "startingStep"]),
    ("AnalysisTemplate", ["spec", "metrics", 0, "successCondition"]),
    ("AnalysisTemplate", ["spec", "metrics", 0, "provider", "prometheus", "query"]),
    ("ServiceMonitor", ["spec", "endpoints", 0, "path"]),
    ("ServiceMonitor", ["spec", "podTargetLabels"]),
    ("PrometheusRule", ["spec", "groups", 0, "rules", 0, "expr"]),
]


def self_test(path):
    docs = load(path)
    bad, _ = check_docs(docs, path)
    if bad:
        print("the rendered objects fail themselves:", *bad, sep="\n  ")
        return 1
    missed = []
    for kind, fpath in SELF_TEST:
        d = copy.deepcopy(docs)
        target = next(o for o in d if o["kind"] == kind)
        misspell(target, fpath)
        if not check_docs(d, path)[0]:
            missed.append(f"{kind} with {'.'.join(map(str, fpath))} misspelt: not rejected")
    d = copy.deepcopy(docs)
    next(o for o in d if o["kind"] == "Rollout")["metadata"]["lables"] = {}
    if not check_docs(d, path)[0]:
        missed.append("Rollout with metadata.lables: not rejected")
    d = copy.deepcopy(docs) + [{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}]
    if not check_docs(d, path)[0]:
        missed.append("a custom resource without a schema: not rejected")
    if missed:
        print("\n".join(missed))
        return 1
    print(f"{len(SELF_TEST) + 2} broken variants all rejected")
    return 0


def main():
    args = sys.argv[1:]
    if args and args[0] == "--self-test":
        sys.exit(self_test(args[1]))
    bad, counted = [], 0
    for p in args:
        b, n = check_docs(load(p), p)
        bad += b
        counted += n
    if bad:
        print("\n".join(bad))
        sys.exit(1)
    print(f"{counted} custom resources valid against the strict CRD schemas")


if __name__ == "__main__":
    main()
