"""Capacity of one replica: wrk straight at a single replica of the local
cluster (no load balancer in between), cached GETs of an item and of a
list page, with CPU (cores, from /proc utime + stime) and resident memory
(VmRSS) of the process idle and under load.

    python3 scripts/cluster-tests/capacity.py        # CLUSTER_BIN as for local-cluster.sh

Not part of run.sh: it takes about a minute and its figures go into
deploy/README.md ("Capacity"). wrk runs on the same machine, so the figures
are what one replica does while sharing the cores with its load generator.
"""
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import HOST, ROOT, Cluster  # noqa: E402

CONNECTIONS = int(os.environ.get("CAPACITY_CONNECTIONS", "64"))
SECS = int(os.environ.get("CAPACITY_SECS", "15"))
CLK_TCK = os.sysconf("SC_CLK_TCK")
SCRIPT = os.path.join(ROOT, "scripts", "local-cluster.sh")


def proc(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
    return cpu, rss


def measure(c, pid, path):
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECS}s", "--latency", "--timeout", "5s"]
    if c.token:
        cmd += ["-H", f"Authorization: Bearer {c.token}"]
    cmd.append(f"http://{HOST}:{c.port(1)}{path}")
    peak = [0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], proc(pid)[1])
            stop.wait(0.25)

    cpu0, _ = proc(pid)
    t0 = time.monotonic()
    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=SECS + 30).stdout
    stop.set()
    th.join()
    cores = (proc(pid)[0] - cpu0) / (time.monotonic() - t0)

    def grab(pattern):
        m = re.search(pattern, out)
        return m.group(1) if m else "?"

    return {
        "path": path,
        "rps": float(grab(r"Requests/sec:\s*([\d.]+)")),
        "p50": grab(r"\s50%\s+(\S+)"),
        "p90": grab(r"\s90%\s+(\S+)"),
        "p99": grab(r"\s99%\s+(\S+)"),
        "errors": grab(r"(Non-2xx or 3xx responses:\s*\d+)") if "Non-2xx" in out else "0",
        "socket": grab(r"Socket errors:\s*(.*)") if "Socket errors" in out else "none",
        "cores": cores,
        "rss": peak[0],
    }


def main():
    if subprocess.run(["bash", SCRIPT, "status"], capture_output=True).returncode == 0:
        sys.exit("a local cluster is running; stop it first (scripts/local-cluster.sh stop)")
    env = dict(os.environ, REPLICAS="1")
    try:
        subprocess.run(["bash", SCRIPT, "start"], check=True, env=env, stdout=subprocess.DEVNULL)
        c = Cluster()
        c.probe_token()
        pid = c.pid(1)
        st, _, rec = c.request(c.port(1), "POST", "/v1/projects", {
            "name": f"capacity-{int(time.time())}", "key": "CAP", "visibility": "team"})
        if st != 201:
            st, _, page = c.request(c.port(1), "GET", "/v1/projects?key=CAP")
            rec = page["items"][0]
        paths = [f"/v1/projects/{rec['id']}", "/v1/projects?limit=20"]
        for p in paths:
            c.request(c.port(1), "GET", p)
        time.sleep(3)
        idle = proc(pid)[1]
        binary = c.settings.get("CLUSTER_BIN") or "target/release/example-service"
        print(f"binary: {os.path.relpath(binary, ROOT)}; {os.cpu_count()} cores shared with wrk; "
              f"wrk -t2 -c{CONNECTIONS} -d{SECS}s straight at the replica; PostgreSQL and Redis local")
        print(f"idle RSS: {idle / 2**20:.1f} MiB")
        print(f"{'GET':<28} {'req/s':>9} {'p50':>9} {'p90':>9} {'p99':>9} {'CPU cores':>10} {'peak RSS':>10} errors")
        for p in paths:
            r = measure(c, pid, p)
            print(f"{r['path']:<28} {r['rps']:>9.0f} {r['p50']:>9} {r['p90']:>9} {r['p99']:>9} {r['cores']:>10.2f} "
                  f"{r['rss'] / 2**20:>7.1f} MiB {r['errors']}, socket errors {r['socket']}")
            time.sleep(2)
        time.sleep(5)
        print(f"idle RSS 5 s after the runs: {proc(pid)[1] / 2**20:.1f} MiB")
        st, _, text = c.request(c.port(1), "GET", "/metrics")
        for line in (text or "").splitlines() if isinstance(text, str) else []:
            if line.startswith("audit_records_dropped_total"):
                print(f"audit records dropped: {line.split()[-1]}")
    finally:
        subprocess.run(["bash", SCRIPT, "stop"], stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
