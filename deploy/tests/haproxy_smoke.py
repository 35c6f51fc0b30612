"""Runs deploy/haproxy/haproxy.cfg for a few seconds against stub replicas on
127.0.0.1 and checks its contract:

- servers come from REPLICA<N>_PORT, the frontend from LB_BIND/LB_PORT and
  the admin socket from LB_ADMIN_SOCKET (`show servers state` works);
- a replica whose /health/ready answers 503 and one that refuses
  connections are taken out by the active checks;
- requests sent before the checks noticed are retried on another replica
  (retries, redispatch), so clients see no error.

    python deploy/tests/haproxy_smoke.py [path/to/haproxy]

Bounded: every wait has a deadline and everything it starts is stopped.
"""
import http.client
import http.server
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CFG = os.path.join(ROOT, "deploy/haproxy/haproxy.cfg")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stub(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, name, ready):
        self.name, self.ready = name, ready
        super().__init__(("127.0.0.1", 0), Handler)

    def handle_error(self, request, client_address):
        # HAProxy closes health-check connections as soon as it has the status.
        pass


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path == "/health/ready":
            code, body = (200, b'{"status":"up"}') if self.server.ready else (503, b'{"status":"down"}')
        else:
            code, body = 200, self.server.name.encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def admin(sock_path, command):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(2)
        s.connect(sock_path)
        s.sendall(command.encode() + b"\n")
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    return out.decode()


def server_states(sock_path):
    """{server name: operational state} (2 = running) from `show servers state`."""
    states = {}
    for line in admin(sock_path, "show servers state resourceful").splitlines():
        parts = line.split()
        if len(parts) > 6 and not line.startswith("#") and parts[1] == "resourceful":
            states[parts[3]] = int(parts[5])
    return states


def get(port, path="/v1/projects"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def main():
    haproxy = sys.argv[1] if len(sys.argv) > 1 else "haproxy"
    healthy, failing = Stub("replica1", True), Stub("replica2", False)
    for s in (healthy, failing):
        threading.Thread(target=s.serve_forever, daemon=True).start()
    refused = free_port()  # nothing listens there
    lb_port = free_port()
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        sock = os.path.join(tmp, "admin.sock")
        env = dict(os.environ, LB_BIND="127.0.0.1", LB_PORT=str(lb_port), LB_ADMIN_SOCKET=sock,
                   REPLICA1_PORT=str(healthy.server_address[1]),
                   REPLICA2_PORT=str(failing.server_address[1]),
                   REPLICA3_PORT=str(refused))
        proc = subprocess.Popen([haproxy, "-f", CFG, "-db"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.time() + 5
            while time.time() < deadline and not os.path.exists(sock):
                if proc.poll() is not None:
                    break
                time.sleep(0.05)
            if not os.path.exists(sock):
                problems.append("the admin socket did not appear at LB_ADMIN_SOCKET")
                raise SystemExit
            # Before the checks have run: every server is still in rotation;
            # the refused one must be retried elsewhere.
            early = [get(lb_port) for _ in range(30)]
            errors = [s for s, _ in early if s != 200]
            if errors:
                problems.append(f"{len(errors)} of 30 early requests failed: retries/redispatch did not hide the dead replica")
            names = set(server_states(sock))
            if names != {"replica1", "replica2", "replica3"}:
                problems.append(f"servers from REPLICA<N>_PORT: got {sorted(names)}")
            # fall 2 x inter 1 s: out within about 2 s (deadline 6 s).
            deadline = time.time() + 6
            states = {}
            while time.time() < deadline:
                states = server_states(sock)
                if states.get("replica1") == 2 and states.get("replica2") != 2 and states.get("replica3") != 2:
                    break
                time.sleep(0.2)
            else:
                problems.append(f"health checks did not take replica2 (503) and replica3 (refused) out: {states}")
            late = [get(lb_port) for _ in range(20)]
            served = {b for s, b in late if s == 200}
            if served != {"replica1"} or any(s != 200 for s, _ in late):
                problems.append(f"after the checks, requests were answered by {sorted(served)}, statuses {sorted({s for s, _ in late})}")
            if get(lb_port, "/health/ready")[0] != 200:
                problems.append("/health/ready through the balancer did not answer 200")
        except SystemExit:
            pass
        finally:
            proc.terminate()
            try:
                out, _ = proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, _ = proc.communicate()
            for s in (healthy, failing):
                s.shutdown()
        if problems:
            print("\n".join(problems))
            print("haproxy output:\n" + "\n".join("  " + l for l in out.splitlines()[-20:]))
            sys.exit(1)
    print("3 replicas from the environment; the 503 and the refusing one taken out by checks; "
          "50 requests, none failed; admin socket answers show servers state")


if __name__ == "__main__":
    main()
