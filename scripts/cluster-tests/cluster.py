"""What the cluster tests share: the local cluster's settings, HTTP calls,
HAProxy's admin socket, a load generator that counts every failure, and
the record of passed and failed cases. Python 3 standard library only.
"""
import http.client
import json
import os
import shlex
import socket
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN_DIR = os.path.join(ROOT, "target", "local-cluster")
RESULTS = os.path.join(RUN_DIR, "results.txt")
HOST = "127.0.0.1"


def settings():
    """The settings `scripts/local-cluster.sh start` saved."""
    out = {}
    with open(os.path.join(RUN_DIR, "cluster.env")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            parts = shlex.split(v) if v else [""]
            out[k] = parts[0] if parts else ""
    return out


class Cluster:
    def __init__(self):
        s = settings()
        self.settings = s
        self.replicas = int(s["REPLICAS"])
        self.base_port = int(s["CLUSTER_BASE_PORT"])
        self.lb_port = int(s["CLUSTER_LB_PORT"])
        self.socket = s["LB_SOCKET"]
        self.drain_delay = int(s["DRAIN_DELAY_SECS"])
        self.shutdown_timeout = int(s["SHUTDOWN_TIMEOUT_SECS"])
        self.token = None

    def port(self, n):
        return self.base_port + n

    def pid(self, n):
        with open(os.path.join(RUN_DIR, f"replica-{n}.pid")) as f:
            return int(f.read().strip())

    def log(self, n):
        return os.path.join(RUN_DIR, f"replica-{n}.log")

    def headers(self):
        h = {"Accept": "application/json"}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        return h

    def request(self, port, method, path, body=None, content_type="application/json", timeout=5):
        """(status, headers, parsed JSON or text); status 0 on a connection error."""
        c = http.client.HTTPConnection(HOST, port, timeout=timeout)
        try:
            h = self.headers()
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                h["Content-Type"] = content_type
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            raw = r.read()
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw.decode(errors="replace")
            return r.status, {k.lower(): v for k, v in r.getheaders()}, parsed
        except OSError as e:
            return 0, {}, str(e)
        finally:
            c.close()

    def probe_token(self):
        """A development token when the service offers `POST /dev/token`
        (resources with access rules need one); none otherwise."""
        st, _, body = self.request(self.lb_port, "POST", "/dev/token",
                                   {"sub": "cluster-test", "roles": ["editor"]})
        if st == 200 and isinstance(body, dict) and body.get("access_token"):
            self.token = body["access_token"]
            print("using a development token from POST /dev/token")
        else:
            print(f"no POST /dev/token (answered {st}): requests carry no token")
        return self.token

    # --- HAProxy -------------------------------------------------------------
    def admin(self, command):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(2)
        try:
            s.connect(self.socket)
            s.sendall(command.encode() + b"\n")
            out = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                out += b
            return out.decode()
        finally:
            s.close()

    def lb_states(self):
        """{replica number: srv_op_state} (2 running, 1 starting, 0 down)."""
        states = {}
        for line in self.admin("show servers state resourceful").splitlines():
            p = line.split()
            if len(p) > 5 and p[3].startswith("replica"):
                states[int(p[3][len("replica"):])] = int(p[5])
        return states

    def lb_sessions(self, n):
        """Requests HAProxy has sent to replica n (`stot` of `show stat`)."""
        lines = self.admin("show stat").splitlines()
        cols = lines[0].lstrip("# ").split(",")
        for line in lines[1:]:
            v = line.split(",")
            if len(v) == len(cols) and v[0] == "resourceful" and v[1] == f"replica{n}":
                return int(v[cols.index("stot")])
        return 0


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(pred, timeout, interval=0.05):
    """Seconds until pred() was true, or None after timeout."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if pred():
            return time.monotonic() - t0
        time.sleep(interval)
    return None


class Load:
    """Keep-alive clients sending GETs in a loop; every request is recorded
    (end time, ok), failures with their reason. A failure is a connection
    error or any status other than 2xx and 304."""

    def __init__(self, cluster, port, paths, clients=8):
        self.cluster, self.port, self.paths, self.clients = cluster, port, paths, clients
        self.stop_flag = threading.Event()
        self.threads = []
        self.records = [[] for _ in range(clients)]
        self.failures = [[] for _ in range(clients)]

    def _run(self, i):
        headers = self.cluster.headers()
        conn = http.client.HTTPConnection(HOST, self.port, timeout=10)
        k = i
        rec, fails = self.records[i], self.failures[i]
        while not self.stop_flag.is_set():
            path = self.paths[k % len(self.paths)]
            k += 1
            try:
                conn.request("GET", path, headers=headers)
                r = conn.getresponse()
                r.read()
                ok = 200 <= r.status < 300 or r.status == 304
                if not ok:
                    fails.append((time.monotonic(), f"status {r.status}", path))
            except (OSError, http.client.HTTPException) as e:
                ok = False
                fails.append((time.monotonic(), type(e).__name__, path))
                conn.close()
                conn = http.client.HTTPConnection(HOST, self.port, timeout=10)
            rec.append((time.monotonic(), ok))
        conn.close()

    def start(self):
        self.t_start = time.monotonic()
        for i in range(self.clients):
            t = threading.Thread(target=self._run, args=(i,), daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def stop(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(15)
        self.t_stop = time.monotonic()
        recs = sorted(r for part in self.records for r in part)
        fails = sorted(f for part in self.failures for f in part)
        return Stats(recs, fails, self.t_start, self.t_stop)


class Stats:
    def __init__(self, recs, fails, t0, t1):
        self.recs, self.fails, self.t0, self.t1 = recs, fails, t0, t1

    @property
    def total(self):
        return len(self.recs)

    @property
    def failed(self):
        return len(self.fails)

    def rate(self):
        return self.total / max(self.t1 - self.t0, 1e-9)

    def describe(self):
        kinds = {}
        for _, kind, _ in self.fails:
            kinds[kind] = kinds.get(kind, 0) + 1
        detail = f" ({', '.join(f'{k}: {v}' for k, v in sorted(kinds.items()))})" if kinds else ""
        return (f"{self.total} requests in {self.t1 - self.t0:.1f} s ({self.rate():.0f}/s), "
                f"{self.failed} failed{detail}")


class Results:
    """PASS / FAIL lines in target/local-cluster/results.txt; run.sh counts them."""

    def __init__(self):
        os.makedirs(RUN_DIR, exist_ok=True)

    def record(self, name, ok, detail=""):
        line = f"{'PASS' if ok else 'FAIL'} {name}" + (f": {detail}" if detail else "")
        print(line, flush=True)
        with open(RESULTS, "a") as f:
            f.write(line + "\n")
        return ok

    def case(self, name, fn):
        """Runs fn(), which returns (ok, detail) or raises."""
        print(f"\n--- {name}", flush=True)
        t0 = time.monotonic()
        try:
            ok, detail = fn()
        except Exception as e:  # a broken case is a failed case, not a crash
            import traceback
            traceback.print_exc()
            ok, detail = False, f"{type(e).__name__}: {e}"
        return self.record(name, ok, f"{detail} [{time.monotonic() - t0:.1f} s]")


# --- YAML ----------------------------------------------------------------------
# The deploy files are read with this small reader of the YAML they use
# (block mappings and lists, plain and quoted scalars, comments), so the
# tests need no package beyond the standard library.
def _strip_comment(line):
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def _scalar(s):
    if s.startswith("'") and s.endswith("'"):
        return s[1:-1].replace("''", "'")
    if s.startswith('"') and s.endswith('"'):
        return json.loads(s)
    if s in ("true", "false"):
        return s == "true"
    if s in ("null", "~"):
        return None
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return float(s)
    except ValueError:
        return s


def load_yaml(path):
    import re
    lines = []
    for raw in open(path).read().splitlines():
        s = _strip_comment(raw)
        if s.strip() in ("", "---"):
            continue
        lines.append([len(s) - len(s.lstrip(" ")), s.strip()])
    key_re = re.compile(r"^([^'\"\s][^:]*?):(?:\s+(.*))?$")
    pos = 0

    def block(indent):
        return seq(indent) if lines[pos][1].startswith("- ") or lines[pos][1] == "-" else mapping(indent)

    def mapping(indent):
        nonlocal pos
        out = {}
        while pos < len(lines):
            ind, text = lines[pos]
            if ind < indent or text.startswith("- "):
                break
            m = key_re.match(text)
            if ind > indent or not m:
                raise ValueError(f"{path}: cannot read {text!r}")
            key, rest = m.group(1).strip(), (m.group(2) or "").strip()
            pos += 1
            if rest:
                out[key] = _scalar(rest)
            elif pos < len(lines) and (lines[pos][0] > ind or
                                       (lines[pos][0] == ind and lines[pos][1].startswith("- "))):
                out[key] = block(lines[pos][0])
            else:
                out[key] = None
        return out

    def seq(indent):
        nonlocal pos
        out = []
        while pos < len(lines):
            ind, text = lines[pos]
            if ind != indent or not text.startswith("- "):
                break
            item = text[2:].strip()
            if key_re.match(item):
                lines[pos] = [indent + 2, item]
                out.append(mapping(indent + 2))
            else:
                pos += 1
                out.append(_scalar(item))
        return out

    return block(lines[0][0]) if lines else None
