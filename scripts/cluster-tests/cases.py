"""The cluster cases, each under constant load through HAProxy:

  invalidation  a write through one replica is read back at once through
                every replica, whose caches were warm (Redis invalidation);
  sigterm       a replica drains: its readiness fails first, HAProxy takes
                it out, in-flight requests finish, no request fails; then
                the process ends within the drain delay and shutdown timeout;
  restart       restart-replica brings it back into rotation by itself;
  sigkill       a replica dies: under 0.1 % of requests fail and HAProxy
                takes it out within a bounded time.

    python3 scripts/cluster-tests/cases.py   (the cluster already started)
"""
import http.client
import json
import os
import random
import re
import signal
import socket
import string
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import HOST, ROOT, Cluster, Load, Results, alive, wait_until  # noqa: E402

# How long HAProxy may take to mark a killed replica down: two failed
# checks one second apart, plus a check timeout and some scheduling slack.
MARK_DOWN_BOUND = 5.0
# How long a restarted replica may take to be in rotation again.
REJOIN_BOUND = 20.0


def create_project(c, port, tag):
    key = "C" + "".join(random.choices(string.ascii_uppercase + string.digits, k=9))
    body = {"name": f"cluster-{tag}-{key.lower()}", "key": key, "visibility": "team"}
    st, _, rec = c.request(port, "POST", "/v1/projects", body)
    if st != 201:
        raise RuntimeError(f"POST /v1/projects through port {port}: {st} {rec}")
    return rec


def load_paths(c):
    """A list and an item endpoint, both served from the cache once warm."""
    rec = create_project(c, c.lb_port, "load")
    return ["/v1/projects?limit=10", f"/v1/projects/{rec['id']}"]


def cache_hits(c, n):
    """cache_requests_total{result="hit"} of replica n for projects."""
    st, _, text = c.request(c.port(n), "GET", "/metrics", timeout=5)
    if st != 200 or not isinstance(text, str):
        return None
    total = 0.0
    for line in text.splitlines():
        if line.startswith("cache_requests_total{") and 'result="hit"' in line and "project" in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


# Redis pub/sub delivers an invalidation to the other replicas after the
# writer's PUBLISH returns, so a read there may, very rarely, arrive first.
# How much later than the write's response a replica may still answer
# the old value.
INVALIDATION_BOUND = 0.1
ROUNDS = 10


def invalidation(c):
    rec = create_project(c, c.port(1), "inv")
    pid, name = rec["id"], rec["name"]
    item, listing = f"/v1/projects/{pid}", f"/v1/projects?name={name}"
    replicas = range(1, c.replicas + 1)
    hits_before = {n: cache_hits(c, n) for n in replicas}

    def current(n, path):
        st, _, body = c.request(c.port(n), "GET", path)
        if st != 200 or not isinstance(body, dict):
            return f"status {st}"
        if path == item:
            return body.get("description")
        descs = [i.get("description") for i in body.get("items", [])]
        return descs[0] if len(descs) == 1 else f"list {descs}"

    late, never, reads = [], [], 0
    for rnd in range(ROUNDS):
        # Warm every replica's item and list caches (the second read of
        # each is a hit).
        for n in replicas:
            for _ in range(2):
                for path in (item, listing):
                    st, _, _ = c.request(c.port(n), "GET", path)
                    if st != 200:
                        return False, f"warming replica {n}: GET {path} answered {st}"
        writer = rnd % c.replicas + 1
        value = f"round {rnd} through replica {writer}"
        st, _, body = c.request(c.port(writer), "PATCH", item, {"description": value},
                                content_type="application/merge-patch+json")
        t_written = time.monotonic()
        if st != 200:
            return False, f"PATCH through replica {writer}: {st} {body}"
        # Read back at once through every replica, the writer too.
        for n in replicas:
            for path in (item, listing):
                reads += 1
                got = current(n, path)
                if got == value:
                    continue
                # Stale: how long until the invalidation arrives?
                fresh = None
                while time.monotonic() - t_written < 2:
                    time.sleep(0.002)
                    if current(n, path) == value:
                        fresh = time.monotonic() - t_written
                        break
                what = f"replica {n} {'item' if path == item else 'list'} (writer {writer}): {got!r}"
                (late if fresh is not None else never).append((fresh, what))
    # The warm reads were cache hits on every replica: without the
    # invalidation the reads after each write would have been stale. The
    # counters are published with a short delay.
    cold = [n for n in replicas
            if wait_until(lambda: (cache_hits(c, n) or 0) >= (hits_before[n] or 0) + 2 * ROUNDS, 5, 0.2) is None]
    if cold:
        return False, f"too few cache hits on replicas {cold}: the reads did not come from warm caches"
    worst = max((f for f, _ in late), default=0.0)
    summary = (f"{ROUNDS} writes through replicas 1-{min(ROUNDS, c.replicas)}, each read back at once through every "
               f"replica (item and list, {reads} reads, warm caches: hits counted): "
               f"{reads - len(late) - len(never)} fresh at once, {len(late)} fresh only after a retry "
               f"(worst {worst * 1000:.0f} ms after the write's response; bound {INVALIDATION_BOUND * 1000:.0f} ms)")
    if late:
        summary += "; late: " + "; ".join(f"{w} for {f * 1000:.0f} ms" for f, w in late[:4])
    if never:
        return False, f"{len(never)} reads still stale 2 s after the write: {[w for _, w in never[:4]]}; {summary}"
    return worst <= INVALIDATION_BOUND, summary


def run_cluster(*args):
    subprocess.run(["bash", os.path.join(ROOT, "scripts", "local-cluster.sh"), *args],
                   check=True, timeout=120, stdout=subprocess.DEVNULL)


def refused(port):
    try:
        socket.create_connection((HOST, port), timeout=0.5).close()
        return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


def slow_write(c, n, out):
    """A POST straight to replica n whose body is sent in two parts: the
    first during the drain delay, the rest once the replica has stopped
    accepting. It is in flight across the stop and must be answered."""
    key = "D" + "".join(random.choices(string.ascii_uppercase + string.digits, k=9))
    body = json.dumps({"name": f"cluster-drain-{key.lower()}", "key": key, "visibility": "team"}).encode()
    head = f"POST /v1/projects HTTP/1.1\r\nHost: replica{n}\r\nContent-Type: application/json\r\n"
    head += f"Content-Length: {len(body)}\r\n"
    if c.token:
        head += f"Authorization: Bearer {c.token}\r\n"
    try:
        s = socket.create_connection((HOST, c.port(n)), timeout=20)
        s.sendall(head.encode() + b"\r\n" + body[:10])
        out["stopped"] = wait_until(lambda: refused(c.port(n)), c.drain_delay + 5, 0.05)
        time.sleep(0.3)
        s.sendall(body[10:])
        r = http.client.HTTPResponse(s)
        r.begin()
        r.read()
        out["status"], out["connection"] = r.status, r.getheader("connection")
        s.close()
    except OSError as e:
        out["error"] = str(e)


def sigterm(c, paths, n, out):
    load = Load(c, c.lb_port, paths).start()
    time.sleep(2)
    pid = c.pid(n)
    log_size = os.path.getsize(c.log(n))
    t0 = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    ready_failed = down = exited = None
    ready_body = None
    slow = {}
    slow_thread = threading.Timer(0.5, slow_write, (c, n, slow))
    slow_thread.start()
    # As long as local-cluster.sh waits before SIGKILL (and Kubernetes'
    # grace period allows beyond the drain and the shutdown timeout).
    bound = c.drain_delay + c.shutdown_timeout + 5
    while time.monotonic() - t0 < bound:
        now = time.monotonic() - t0
        if ready_failed is None:
            st, _, body = c.request(c.port(n), "GET", "/health/ready", timeout=1)
            if st != 200:
                ready_failed, ready_body = now, (st, body)
        if down is None and c.lb_states().get(n) == 0:
            down = now
        if exited is None and not alive(pid):
            exited = now
        if ready_failed is not None and down is not None and exited is not None:
            break
        time.sleep(0.02)
    # Keep the load on a little after the replica is gone.
    time.sleep(1)
    slow_thread.join(10)
    stats = load.stop()
    print(f"load: {stats.describe()}")
    with open(c.log(n), errors="replace") as f:
        f.seek(log_size)
        tail = re.sub(r"\x1b\[[0-9;]*m", "", f.read())
    drained = re.search(r"stopped accepting.*?connections\W+(\d+)", tail)
    out.update(exited=exited, bound=bound, tail=tail)
    fmt = lambda t: "never" if t is None else f"{t:.2f} s"  # noqa: E731
    detail = (f"readiness failed after {fmt(ready_failed)} ({ready_body[0] if ready_body else '-'}), "
              f"HAProxy marked it down after {fmt(down)}, process exited after {fmt(exited)}"
              f"{f', {drained.group(1)} connections open when it stopped accepting' if drained else ''}; "
              f"a POST whose body was still arriving when it stopped accepting was answered "
              f"{slow.get('status', slow.get('error'))} (Connection: {slow.get('connection')}); "
              f"{stats.describe()}")
    problems = []
    if ready_failed is None or ready_body[0] != 503 or "draining" not in str(ready_body[1]):
        problems.append(f"readiness did not answer 503 draining: {ready_body}")
    if down is None:
        problems.append("HAProxy never marked it down")
    elif ready_failed is not None and ready_failed > down:
        problems.append("HAProxy marked it down before its readiness failed")
    elif down > c.drain_delay:
        problems.append(f"marked down after the drain delay ({c.drain_delay} s)")
    if "stopped accepting" not in tail:
        problems.append("no 'stopped accepting' line in its log")
    if slow.get("stopped") is None or slow.get("status") != 201 or (slow.get("connection") or "").lower() != "close":
        problems.append(f"the in-flight POST across the stop was not answered 201 with Connection: close: {slow}")
    if stats.failed:
        problems.append(f"{stats.failed} requests failed: {stats.fails[:5]}")
    if stats.total < 200:
        problems.append(f"only {stats.total} requests: no real load")
    return not problems, "; ".join(problems + [detail])


def exits(c, out):
    """The drained replica's process ends within the drain delay, the
    shutdown timeout and a margin."""
    if "bound" not in out:
        return False, "the SIGTERM case did not run"
    stamps = re.findall(r"^(\S+Z)\s+\w+\s+\S+: (stopped accepting|stopped)\b", out["tail"], re.M)
    gap = ""
    if len(stamps) >= 2:
        from datetime import datetime
        t = [datetime.fromisoformat(x[0].replace("Z", "+00:00")) for x in stamps[:2]]
        gap = f"; 'stopped accepting' to 'stopped' took {(t[1] - t[0]).total_seconds():.1f} s"
    elif stamps:
        gap = "; it logged 'stopped accepting' but not 'stopped'"
    if out["exited"] is None:
        return False, (f"still running {out['bound']} s after SIGTERM (DRAIN_DELAY_SECS {c.drain_delay} + "
                       f"SHUTDOWN_TIMEOUT_SECS {c.shutdown_timeout} + 5){gap}")
    return True, f"exited {out['exited']:.2f} s after SIGTERM (bound {out['bound']} s){gap}"


def restart(c, paths, n):
    load = Load(c, c.lb_port, paths).start()
    time.sleep(1)
    before = c.lb_sessions(n)
    t0 = time.monotonic()
    run_cluster("restart-replica", str(n))
    ready = time.monotonic() - t0
    up = wait_until(lambda: c.lb_states().get(n) in (1, 2), REJOIN_BOUND)
    up = None if up is None else up + ready
    # Once up it ramps up over the slow start, so give it a moment of traffic.
    served = wait_until(lambda: c.lb_sessions(n) > before + 20, 10, 0.2)
    stats = load.stop()
    print(f"load: {stats.describe()}")
    fmt = lambda t: "never" if t is None else f"{t:.2f} s"  # noqa: E731
    detail = (f"ready {ready:.2f} s after restart-replica began, back in HAProxy's rotation after {fmt(up)}, "
              f"requests sent to it: {c.lb_sessions(n) - before}; {stats.describe()}")
    problems = []
    if up is None:
        problems.append(f"not back in rotation within {REJOIN_BOUND} s: {c.lb_states()}")
    if served is None:
        problems.append("HAProxy sent it no requests")
    if stats.failed:
        problems.append(f"{stats.failed} requests failed: {stats.fails[:5]}")
    return not problems, "; ".join(problems + [detail])


def sigkill(c, paths, n):
    load = Load(c, c.lb_port, paths).start()
    time.sleep(2)
    pid = c.pid(n)
    t0 = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    down = wait_until(lambda: c.lb_states().get(n) == 0, MARK_DOWN_BOUND * 2, 0.02)
    time.sleep(2)
    stats = load.stop()
    print(f"load: {stats.describe()}")
    share = stats.failed / max(stats.total, 1)
    detail = (f"HAProxy marked it down {'never' if down is None else f'{down:.2f} s'} after SIGKILL; "
              f"{stats.describe()}, {share * 100:.3f} % failed")
    problems = []
    if down is None or down > MARK_DOWN_BOUND:
        problems.append(f"not marked down within {MARK_DOWN_BOUND} s")
    if share >= 0.001:
        problems.append(f"{share * 100:.3f} % of requests failed (bound 0.1 %): {stats.fails[:5]}")
    if stats.total < 200:
        problems.append(f"only {stats.total} requests: no real load")
    return not problems, "; ".join(problems + [detail])


def main():
    c = Cluster()
    c.probe_token()
    res = Results()
    if c.replicas < 3:
        res.record("the cases need at least 3 replicas", False, f"REPLICAS={c.replicas}")
        return False
    paths = load_paths(c)
    # Warm the caches of every replica for the load's paths.
    for n in range(1, c.replicas + 1):
        for p in paths:
            c.request(c.port(n), "GET", p)
    print(f"load: 8 keep-alive clients through http://{HOST}:{c.lb_port} on {paths}")
    ok = res.case("cross-replica invalidation", lambda: invalidation(c))
    drain = {}
    res.case("SIGTERM drains a replica with no failed request", lambda: sigterm(c, paths, 2, drain))
    res.case("the drained replica exits within drain delay + shutdown timeout", lambda: exits(c, drain))
    res.case("restart-replica comes back into rotation", lambda: restart(c, paths, 2))
    last = c.replicas
    res.case("SIGKILL: under 0.1 % failed, marked down in bounded time", lambda: sigkill(c, paths, last))
    # Every replica back for what follows (not a case of its own).
    run_cluster("restart-replica", str(last))
    back = wait_until(lambda: all(s == 2 for s in c.lb_states().values()), 30, 0.2)
    print(f"replica {last} restarted; every replica in full rotation after {back} s")
    return ok


if __name__ == "__main__":
    main()
