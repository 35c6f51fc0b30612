"""Autoscaling against real measurements: a real Prometheus scrapes every
replica of the local cluster (job resourceful-api, a pod label per replica,
namespace local) and evaluates the shipped recording rules; a spike goes
through HAProxy; the prometheus-adapter's per-pod query, exactly as shipped,
is asked for the request rate, and /proc gives the replicas' CPU and
memory. The HorizontalPodAutoscaler's algorithm is then computed (not run:
there is no Kubernetes here) over those values with the shipped target,
behavior and bounds.

    python3 scripts/cluster-tests/autoscaling.py   (the cluster already started)
"""
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import HOST, ROOT, RUN_DIR, Cluster, Results, alive, load_yaml  # noqa: E402

HPA = os.path.join(ROOT, "deploy", "k8s", "base", "hpa.yaml")
ADAPTER = os.path.join(ROOT, "deploy", "k8s", "prometheus-adapter", "rules.yaml")
RECORDING = os.path.join(ROOT, "deploy", "monitoring", "prometheus", "rules", "resourceful-recording.yaml")
DEPLOYMENT = os.path.join(ROOT, "deploy", "k8s", "base", "deployment.yaml")
PROM_DIR = os.path.join(RUN_DIR, "prometheus")
PROM_PID = os.path.join(RUN_DIR, "prometheus.pid")

SPIKE_SECS = int(os.environ.get("SPIKE_SECS", "50"))
AFTER_SECS = int(os.environ.get("AFTER_SPIKE_SECS", "30"))
SPIKE_CONNECTIONS = int(os.environ.get("SPIKE_CONNECTIONS", "64"))
# The HPA controller's default --horizontal-pod-autoscaler-sync-period and
# --horizontal-pod-autoscaler-tolerance.
SYNC_SECS = 15
TOLERANCE = 0.1
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Prometheus:
    def __init__(self, cluster):
        self.c = cluster
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.pods = [f"replica-{n}" for n in range(1, cluster.replicas + 1)]
        self.proc = None

    def config(self):
        targets = "".join(
            f"      - targets: ['{HOST}:{self.c.port(n)}']\n"
            f"        labels: {{pod: replica-{n}, namespace: local}}\n"
            for n in range(1, self.c.replicas + 1))
        auth = ""
        if self.c.token:
            auth = ("    authorization:\n      type: Bearer\n"
                    f"      credentials: '{self.c.token}'\n")
        # Rule files are resolved against this file's folder.
        rules = os.path.relpath(RECORDING, PROM_DIR)
        return ("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
                f"rule_files:\n  - {rules}\n"
                "scrape_configs:\n  - job_name: resourceful-api\n    metrics_path: /metrics\n"
                f"{auth}    static_configs:\n{targets}")

    def start(self):
        binary = shutil.which("prometheus")
        if not binary:
            raise RuntimeError("prometheus is not installed (Debian package prometheus)")
        shutil.rmtree(PROM_DIR, ignore_errors=True)
        os.makedirs(os.path.join(PROM_DIR, "data"))
        cfg = os.path.join(PROM_DIR, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(self.config())
        log = open(os.path.join(RUN_DIR, "prometheus.log"), "a")
        self.proc = subprocess.Popen(
            [binary, f"--config.file={cfg}", f"--storage.tsdb.path={os.path.join(PROM_DIR, 'data')}",
             f"--web.listen-address={HOST}:{self.port}", "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        with open(PROM_PID, "w") as f:
            f.write(str(self.proc.pid))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("prometheus exited; see target/local-cluster/prometheus.log")
            try:
                up = self.query(f'sum(up{{job="resourceful-api"}})')
                if up and float(up[0]["value"][1]) == self.c.replicas:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError("prometheus did not scrape every replica within 30 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if os.path.exists(PROM_PID):
            os.remove(PROM_PID)

    def query(self, q, at=None):
        args = {"query": q}
        if at is not None:
            args["time"] = f"{at:.3f}"
        url = f"{self.url}/api/v1/query?{urllib.parse.urlencode(args)}"
        with urllib.request.urlopen(url, timeout=5) as r:
            body = json.load(r)
        if body.get("status") != "success":
            raise RuntimeError(f"{q}: {body}")
        return body["data"]["result"]

    def rules_loaded(self):
        with urllib.request.urlopen(f"{self.url}/api/v1/rules", timeout=5) as r:
            body = json.load(r)
        return [rule["name"] for g in body["data"]["groups"] for rule in g["rules"]]


def adapter_query(pods):
    """The adapter's metricsQuery with its placeholders filled in as the
    adapter does for a pods request in one namespace."""
    rule = next(r for r in load_yaml(ADAPTER)["rules"] if r["name"]["as"] == "http_requests_per_second")
    matchers = f'namespace="local",pod=~"{"|".join(pods)}"'
    return rule["metricsQuery"].replace("<<.LabelMatchers>>", matchers).replace("<<.GroupBy>>", "pod")


def parse_quantity(q):
    """Kubernetes quantities of the Deployment: 250m, 1, 64Mi."""
    q = str(q)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 1e3, "M": 1e6, "G": 1e9}
    for u, f in sorted(units.items(), key=lambda kv: -len(kv[0])):
        if q.endswith(u):
            return float(q[: -len(u)]) * f
    return float(q)


def container_requests():
    text = open(DEPLOYMENT).read()
    block = text[text.index("resources:"):]
    req = block[block.index("requests:"):block.index("limits:")]
    cpu = re.search(r"cpu:\s*\"?([^\"\s]+)", req).group(1)
    mem = re.search(r"memory:\s*\"?([^\"\s]+)", req).group(1)
    return parse_quantity(cpu), parse_quantity(mem)


class Sampler(threading.Thread):
    """Every second: CPU time and RSS of each replica (/proc) and the
    adapter query's per-pod values."""

    def __init__(self, cluster, prom, query):
        super().__init__(daemon=True)
        self.c, self.prom, self.q = cluster, prom, query
        self.pids = {n: cluster.pid(n) for n in range(1, cluster.replicas + 1)}
        self.samples = []  # (wall time, {n: (cpu seconds, rss bytes)}, {pod: req/s})
        self.stop_flag = threading.Event()

    @staticmethod
    def proc(pid):
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
        rss = 0
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) * 1024
        return cpu, rss

    def run(self):
        while not self.stop_flag.is_set():
            t = time.time()
            procs = {n: self.proc(p) for n, p in self.pids.items() if alive(p)}
            try:
                rates = {r["metric"]["pod"]: float(r["value"][1]) for r in self.prom.query(self.q)}
            except (OSError, RuntimeError):
                rates = {}
            self.samples.append((t, procs, rates))
            self.stop_flag.wait(max(0.0, 1.0 - (time.time() - t)))

    def at(self, t):
        """The last sample at or before t."""
        best = self.samples[0]
        for s in self.samples:
            if s[0] <= t:
                best = s
        return best

    def cpu_cores(self, t, window):
        """Total cores used by the replicas over [t - window, t]."""
        a, b = self.at(t - window), self.at(t)
        if b[0] <= a[0]:
            return 0.0
        used = sum(b[1][n][0] - a[1][n][0] for n in b[1] if n in a[1])
        return used / (b[0] - a[0])


class Hpa:
    """autoscaling/v2 HorizontalPodAutoscaler, computed: the replica
    calculator (ratio to target, tolerance, max over metrics), the
    stabilization windows and the scaling policies of `behavior`, and the
    min/max bounds, as the controller applies them at each sync."""

    def __init__(self, spec, current, history_start):
        self.min, self.max = spec.get("minReplicas", 1), spec["maxReplicas"]
        self.metrics = spec["metrics"]
        b = spec.get("behavior", {})
        self.up = b.get("scaleUp", {})
        self.down = b.get("scaleDown", {})
        self.current = current
        # The deployment has run at `current` for the whole window before
        # the test: those are the recommendations the controller remembers.
        self.recommendations = [(t, current) for t in range(int(history_start), int(history_start) + 300 - SYNC_SECS, SYNC_SECS)]
        self.events = []  # (time, replica change)

    @staticmethod
    def replicas_for(ratio, current):
        if abs(1.0 - ratio) <= TOLERANCE:
            return current
        return math.ceil(ratio * current)

    def propose(self, values):
        """values: metric name -> (current average per pod, target)."""
        out = {}
        for name, (value, target) in values.items():
            out[name] = self.replicas_for(value / target, self.current)
        return out

    def _limit_up(self, t):
        proposals = []
        for p in self.up.get("policies", []):
            added = sum(d for (et, d) in self.events if d > 0 and et > t - p["periodSeconds"])
            start = self.current - added
            proposals.append(start + p["value"] if p["type"] == "Pods"
                             else math.ceil(start * (1 + p["value"] / 100)))
        if not proposals:
            return self.max
        return (min if self.up.get("selectPolicy") == "Min" else max)(proposals)

    def _limit_down(self, t):
        proposals = []
        for p in self.down.get("policies", []):
            removed = -sum(d for (et, d) in self.events if d < 0 and et > t - p["periodSeconds"])
            start = self.current + removed
            proposals.append(start - p["value"] if p["type"] == "Pods"
                             else int(start * (1 - p["value"] / 100)))
        if not proposals:
            return self.min
        # For scale-in, "Max" is the policy that allows the largest change:
        # the lowest limit.
        return (max if self.down.get("selectPolicy") == "Min" else min)(proposals)

    def sync(self, t, values):
        per_metric = self.propose(values)
        raw = max(per_metric.values())
        self.recommendations.append((t, raw))
        up_w = self.up.get("stabilizationWindowSeconds", 0)
        down_w = self.down.get("stabilizationWindowSeconds", 300)
        up_rec = min(r for (rt, r) in self.recommendations if rt > t - up_w or rt == t)
        down_rec = max(r for (rt, r) in self.recommendations if rt > t - down_w or rt == t)
        stable = self.current
        if stable < up_rec:
            stable = up_rec
        if stable > down_rec:
            stable = down_rec
        desired = stable
        if desired > self.current:
            desired = min(desired, max(self._limit_up(t), self.current), self.max)
        elif desired < self.current:
            desired = max(desired, min(self._limit_down(t), self.current), self.min)
        desired = max(self.min, min(self.max, desired))
        if desired != self.current:
            self.events.append((t, desired - self.current))
        self.current = desired
        return per_metric, raw, stable, desired


def wrk_spike(cluster, path, secs, connections):
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is not installed (Debian package wrk)")
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{secs}s", "--latency", "--timeout", "5s"]
    if cluster.token:
        cmd += ["-H", f"Authorization: Bearer {cluster.token}"]
    cmd.append(f"http://{HOST}:{cluster.lb_port}{path}")
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def main():
    c = Cluster()
    c.probe_token()
    res = Results()
    spec = load_yaml(HPA)["spec"]
    target = next(float(m["pods"]["target"]["averageValue"]) for m in spec["metrics"]
                  if m["type"] == "Pods" and m["pods"]["metric"]["name"] == "http_requests_per_second")
    cpu_req, mem_req = container_requests()
    print("The HorizontalPodAutoscaler is computed here, not run: its algorithm is applied to values "
          "measured from a real Prometheus and /proc.")
    print(f"HPA (deploy/k8s/base/hpa.yaml): http_requests_per_second target {target:g} per pod; "
          f"replicas {spec.get('minReplicas')}-{spec['maxReplicas']}; requests {cpu_req:g} CPU, "
          f"{mem_req / 2**20:g} MiB (deployment.yaml)")
    prom = Prometheus(c)
    try:
        prom.start()
        q = adapter_query(prom.pods)
        print(f"Prometheus at {prom.url}; adapter query: {q}")
        loaded = prom.rules_loaded()
        res.record("Prometheus scrapes every replica and loads the shipped recording rules",
                   "resourceful:pod_http_requests:rate2m" in loaded, f"rules: {loaded}")

        st, _, rec = c.request(c.lb_port, "POST", "/v1/projects", {
            "name": f"cluster-spike-{int(time.time() * 1000)}", "key": f"S{int(time.time() * 1000) % 10**9}",
            "visibility": "team"})
        if st != 201:
            raise RuntimeError(f"POST /v1/projects: {st} {rec}")
        path = f"/v1/projects/{rec['id']}"
        for n in range(1, c.replicas + 1):
            c.request(c.port(n), "GET", path)

        sampler = Sampler(c, prom, q)
        sampler.start()
        time.sleep(5)
        t_spike = time.time()
        print(f"spike: wrk, {SPIKE_CONNECTIONS} connections, {SPIKE_SECS} s, GET {path} through HAProxy")
        wrk = wrk_spike(c, path, SPIKE_SECS, SPIKE_CONNECTIONS)
        crossed = None
        while wrk.poll() is None or time.time() < t_spike + SPIKE_SECS + AFTER_SECS:
            s = sampler.samples[-1] if sampler.samples else None
            if crossed is None and s and s[2] and len(s[2]) == c.replicas:
                if sum(s[2].values()) / c.replicas > target:
                    crossed = s[0] - t_spike
            time.sleep(0.5)
            if time.time() > t_spike + SPIKE_SECS + AFTER_SECS + 30:
                wrk.kill()
                break
        out = wrk.communicate()[0]
        sampler.stop_flag.set()
        sampler.join(5)
        t_end = time.time()
        reqs = re.search(r"Requests/sec:\s*([\d.]+)", out)
        non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
        errors = re.search(r"Socket errors:.*", out)
        total_rps = float(reqs.group(1)) if reqs else 0.0
        print("wrk: " + " | ".join(l.strip() for l in out.splitlines()
                                    if re.search(r"Latency|Requests/sec|requests in|errors|Non-2xx|  50%|  99%", l)))

        # Peak values over the run.
        peak_avg = max((sum(s[2].values()) / c.replicas for s in sampler.samples if len(s[2]) == c.replicas),
                       default=0.0)
        peak_cpu = max(sampler.cpu_cores(t, 5) for t in [s[0] for s in sampler.samples])
        rss = {n: v[1] for n, v in sampler.samples[-1][1].items()}
        # Both at the instant the rule was last evaluated: the rule lags the
        # live query by up to one evaluation interval, and right after the
        # spike the rate falls by about 1 % per second.
        rule_sel = "resourceful:pod_http_requests:rate2m{namespace=\"local\"}"
        rule_at = prom.query(f"max(timestamp({rule_sel}))")
        at = float(rule_at[0]["value"][1]) if rule_at else None
        rec_rule = prom.query(f"sum({rule_sel})", at=at) if at else []
        adapter_now = prom.query(f"sum({q})", at=at) if at else []
        print(f"measured: {total_rps:.0f} req/s through HAProxy ({total_rps / c.replicas:.0f} per replica); "
              f"adapter value (2-minute rate) peaked at {peak_avg:.0f} per pod; replicas' CPU peaked at "
              f"{peak_cpu:.2f} cores together (5 s windows); RSS {', '.join(f'{v / 2**20:.0f} MiB' for v in rss.values())}")
        ok = crossed is not None and crossed <= SPIKE_SECS + 10
        res.record(
            f"the per-pod request rate (adapter query) crosses the HPA target {target:g}",
            ok, (f"crossed after {crossed:.1f} s of spike" if crossed is not None else
                 f"never crossed: peak {peak_avg:.0f} per pod with {total_rps:.0f} req/s through HAProxy on "
                 f"{os.cpu_count()} cores; a 2-minute rate of a {SPIKE_SECS} s spike needs "
                 f"{target * 120 / SPIKE_SECS:.0f} req/s per pod during it")
            + f" (bound: {SPIKE_SECS + 10} s)")
        if rec_rule and adapter_now:
            a, b = float(rec_rule[0]["value"][1]), float(adapter_now[0]["value"][1])
            res.record("the recording rule resourceful:pod_http_requests:rate2m equals the adapter query",
                       abs(a - b) <= 0.01 * max(a, b, 1), f"{a:.1f} and {b:.1f} req/s summed over pods")
        if (non2xx and int(non2xx.group(1))) or errors:
            print(f"note: wrk reported {non2xx.group(0) if non2xx else ''} {errors.group(0) if errors else ''}")

        # The controller, computed at every sync over the measured values:
        # with every metric of hpa.yaml, and with CPU only (its
        # recommendation falls as soon as the spike ends, while the 2-minute
        # request rate stays up for two minutes and memory does not follow
        # the load: that variant shows the scale-down window holding
        # against falling values).
        targets = {"http_requests_per_second": target}
        for m in spec["metrics"]:
            if m["type"] == "Resource":
                targets[m["resource"]["name"]] = float(m["resource"]["target"]["averageUtilization"])
        # Syncs are aligned so that one falls at the end of the spike.
        syncs = []
        t = t_spike + SPIKE_SECS % SYNC_SECS
        while t <= t_end:
            s = sampler.at(t)
            total_rate = sum(float(r["value"][1]) for r in prom.query(q, at=t))
            cores = sampler.cpu_cores(t, SYNC_SECS)
            mem = sum(v[1] for v in s[1].values()) / max(len(s[1]), 1)
            syncs.append((t, total_rate, cores, mem))
            t += SYNC_SECS

        def simulate(names):
            hpa = Hpa(spec, c.replicas, t_spike - 300 + SYNC_SECS)
            rows = []
            for t, total_rate, cores, mem in syncs:
                cur = hpa.current
                measured = {
                    "cpu": cores / cur / cpu_req * 100,
                    "memory": mem / mem_req * 100,
                    "http_requests_per_second": total_rate / cur,
                }
                values = {k: (measured[k], targets[k]) for k in names}
                per_metric, raw, stable, desired = hpa.sync(t, values)
                rows.append((t - t_spike, raw, stable, desired, measured, per_metric))
            return hpa, rows

        print(f"\nHPA computed every {SYNC_SECS} s (tolerance {TOLERANCE}), starting from {c.replicas} replicas "
              "that ran for the last 5 minutes; per-pod values are the measured totals divided by the "
              "computed replica count (the load spreads over the pods); memory is the measured average per pod.")
        window = spec.get("behavior", {}).get("scaleDown", {}).get("stabilizationWindowSeconds", 300)
        outcomes = {}
        for label, names in (("every metric of hpa.yaml", list(targets)),
                             ("cpu only", ["cpu"])):
            hpa, rows = simulate(names)
            print(f"\n{label}:")
            print(f"{'t':>5} {'req/s/pod':>10} {'cpu %':>7} {'mem %':>7} {'per metric':>26} {'raw':>4} {'stable':>6} {'replicas':>8}")
            for t, raw, stable, desired, m, pm in rows:
                pms = ",".join(f"{k[:3]}={v}" for k, v in pm.items())
                print(f"{t:5.0f} {m['http_requests_per_second']:10.0f} {m['cpu']:7.0f} {m['memory']:7.0f} "
                      f"{pms:>26} {raw:4d} {stable:6d} {desired:8d}")
            during = [r for r in rows if r[0] <= SPIKE_SECS]
            after = [r for r in rows if r[0] > SPIKE_SECS]
            scaled = max(r[3] for r in during)
            held = [r[3] for r in after]
            outcomes[label] = dict(
                hpa=hpa, scaled=scaled, held=held, raws=[r[1] for r in after],
                decreased=any(b < a for a, b in zip([scaled] + held, held)),
                lower=[r[1] for r in after if r[1] < r[3]])
        full = outcomes["every metric of hpa.yaml"]
        res.record("the computed HPA scales out during the spike", full["scaled"] > c.replicas,
                   f"{c.replicas} -> {full['scaled']} replicas by the end of the spike "
                   f"(scale-up policies: {[(p['type'], p['value'], p['periodSeconds']) for p in full['hpa'].up.get('policies', [])]}, "
                   f"selectPolicy {full['hpa'].up.get('selectPolicy', 'Max')}, bounds {full['hpa'].min}-{full['hpa'].max})")
        exercised = any(o["lower"] for o in outcomes.values())
        res.record(
            "after the spike the computed HPA does not flap within the scale-down window",
            all(o["held"] and not o["decreased"] for o in outcomes.values()) and exercised,
            "; ".join(
                f"{label}: scaled to {o['scaled']}, then {o['held']} over the {AFTER_SECS} s after the spike "
                f"(raw recommendations {o['raws']}"
                + (f", the lower ones held off by the {window} s window" if o["lower"] else "") + ")"
                for label, o in outcomes.items())
            + ("" if exercised else "; no raw recommendation fell after the spike, so the window was not exercised"))
    finally:
        prom.stop()


if __name__ == "__main__":
    main()
