#!/usr/bin/env bash
# A local cluster of the example service: REPLICAS replicas on loopback
# ports behind HAProxy (deploy/haproxy/haproxy.cfg), sharing PostgreSQL and
# Redis. Everything listens on 127.0.0.1 only.
#
#   scripts/local-cluster.sh start               # prints the load balancer's URL last
#   scripts/local-cluster.sh status
#   scripts/local-cluster.sh restart-replica N   # same port and environment
#   scripts/local-cluster.sh stop
#
# Settings (environment, read by `start`; later commands reuse them):
#   REPLICAS           number of replicas, 1 to 8             (default 3)
#   CLUSTER_BIN        the service binary  (default target/release/example-service,
#                      built with `cargo build --release -p example-service` if missing)
#   CLUSTER_LB_PORT    the load balancer's port                (default 18080)
#   CLUSTER_BASE_PORT  replica N listens on this + N           (default 18080)
#   CLUSTER_STATS_PORT HAProxy's stats page, if set            (default none)
#   DATABASE_URL       (default postgres://postgres@127.0.0.1:5432/test)
#   DATABASE_SCHEMA    PostgreSQL schema, created if missing   (default cluster)
#   CLUSTER_RESET_DB   1: drop that schema first (a cluster with no data)
#   REDIS_URL          (default redis://127.0.0.1:6379)
#   REDIS_KEY_PREFIX   (default resourceful-cluster)
#   DRAIN_DELAY_SECS   (default 3: HAProxy takes a replica out after two failed
#                      checks a second apart, under 2 s, and a margin)
#   SHUTDOWN_TIMEOUT_SECS (default 10)
#   AUTH_DEV_SECRET    shared key of the development token issuer (default: random)
#
# State, PIDs and logs: target/local-cluster/ (replica-N.pid, replica-N.log,
# haproxy.pid, haproxy.log, cluster.env with the settings of the last start).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUN_DIR=$ROOT/target/local-cluster
STATE=$RUN_DIR/cluster.env
HOST=127.0.0.1

die() { echo "local-cluster: $*" >&2; exit 1; }
note() { echo "local-cluster: $*" >&2; }

# --- settings ---------------------------------------------------------------
load_settings() {
  if [ -f "$STATE" ]; then
    # shellcheck disable=SC1090
    . "$STATE"
  fi
}

fresh_settings() {
  REPLICAS=${REPLICAS:-3}
  CLUSTER_BIN=${CLUSTER_BIN:-}
  CLUSTER_LB_PORT=${CLUSTER_LB_PORT:-18080}
  CLUSTER_BASE_PORT=${CLUSTER_BASE_PORT:-18080}
  CLUSTER_STATS_PORT=${CLUSTER_STATS_PORT:-}
  DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
  DATABASE_SCHEMA=${DATABASE_SCHEMA-cluster}
  REDIS_URL=${REDIS_URL-redis://127.0.0.1:6379}
  REDIS_KEY_PREFIX=${REDIS_KEY_PREFIX:-resourceful-cluster}
  DRAIN_DELAY_SECS=${DRAIN_DELAY_SECS:-3}
  SHUTDOWN_TIMEOUT_SECS=${SHUTDOWN_TIMEOUT_SECS:-10}
  # One development-issuer key for every replica: a token one of them
  # mints is accepted by all.
  AUTH_DEV_SECRET=${AUTH_DEV_SECRET:-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')}
  case $REPLICAS in [1-8]) ;; *) die "REPLICAS must be 1 to 8 (haproxy.cfg has eight server slots)";; esac
  # A Unix socket path may not exceed 107 bytes.
  LB_SOCKET=$RUN_DIR/haproxy.sock
  [ ${#LB_SOCKET} -lt 100 ] || LB_SOCKET=${TMPDIR:-/tmp}/resourceful-cluster-$(id -u).sock
}

save_settings() {
  mkdir -p "$RUN_DIR"
  {
    for v in REPLICAS CLUSTER_BIN CLUSTER_LB_PORT CLUSTER_BASE_PORT CLUSTER_STATS_PORT \
             DATABASE_URL DATABASE_SCHEMA REDIS_URL REDIS_KEY_PREFIX DRAIN_DELAY_SECS \
             SHUTDOWN_TIMEOUT_SECS AUTH_DEV_SECRET LB_SOCKET; do
      printf '%s=%q\n' "$v" "${!v}"
    done
  } > "$STATE.tmp"
  chmod 600 "$STATE.tmp"
  mv "$STATE.tmp" "$STATE"
}

replica_port() { echo $((CLUSTER_BASE_PORT + $1)); }
lb_url() { echo "http://$HOST:$CLUSTER_LB_PORT"; }

# --- processes ----------------------------------------------------------------
pid_of() { [ -f "$RUN_DIR/$1.pid" ] && cat "$RUN_DIR/$1.pid" || true; }

# A process that exists and has not exited (a zombie nobody reaped has).
running() {
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# Running, and still the program we started (not a reused PID).
alive() {
  local pid=$1 exe=$2
  [ -n "$pid" ] && running "$pid" || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$(basename "$exe")"
}

# SIGTERM, then SIGKILL if it has not exited within $3 seconds.
stop_pid() {
  local name=$1 pid=$2 bound=$3 exe=$4 sig=${5:-TERM}
  if alive "$pid" "$exe"; then
    kill -"$sig" "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + bound))
    while running "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    if running "$pid"; then
      note "$name (pid $pid) did not stop within ${bound}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      while running "$pid"; do sleep 0.1; done
    fi
  fi
  rm -f "$RUN_DIR/$name.pid"
}

port_busy() {
  python3 - "$HOST" "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.settimeout(0.5)
sys.exit(0 if s.connect_ex((sys.argv[1], int(sys.argv[2]))) == 0 else 1)
EOF
}

ready() { curl -fsS -o /dev/null --max-time 2 "http://$HOST:$(replica_port "$1")/health/ready" 2>/dev/null; }

wait_ready() {
  local n=$1 pid deadline=$((SECONDS + 90))
  pid=$(pid_of "replica-$n")
  until ready "$n"; do
    alive "$pid" "$CLUSTER_BIN" || { tail -20 "$RUN_DIR/replica-$n.log" >&2; die "replica $n exited (log: $RUN_DIR/replica-$n.log)"; }
    [ $SECONDS -lt $deadline ] || die "replica $n not ready within 90 s (log: $RUN_DIR/replica-$n.log)"
    sleep 0.2
  done
}

start_replica() {
  local n=$1 port
  port=$(replica_port "$n")
  if alive "$(pid_of "replica-$n")" "$CLUSTER_BIN"; then return 0; fi
  ! port_busy "$port" || die "port $port (replica $n) is taken by another program"
  # Each replica its own port; the rest of the environment is the same.
  # Rate limits far above what one machine can send: load tests measure
  # the service, not the limiter (every request comes from HAProxy's
  # address, so every client would share one bucket).
  env BIND=$HOST PORT="$port" \
    DATABASE_URL="$DATABASE_URL" DATABASE_SCHEMA="$DATABASE_SCHEMA" \
    REDIS_URL="$REDIS_URL" REDIS_KEY_PREFIX="$REDIS_KEY_PREFIX" \
    TRUSTED_PROXIES=127.0.0.1/32 \
    DRAIN_DELAY_SECS="$DRAIN_DELAY_SECS" SHUTDOWN_TIMEOUT_SECS="$SHUTDOWN_TIMEOUT_SECS" \
    AUTH_DEV_SECRET="$AUTH_DEV_SECRET" \
    RATE_LIMIT_READ=100000/s RATE_LIMIT_WRITE=10000/s RATE_LIMIT_GRAPHQL=10000/s \
    RUST_LOG="${RUST_LOG:-info,sqlx=warn,resourceful::access=warn}" \
    "$CLUSTER_BIN" < /dev/null >> "$RUN_DIR/replica-$n.log" 2>&1 &
  echo $! > "$RUN_DIR/replica-$n.pid"
}

stop_replica() {
  # The drain delay, the shutdown timeout and a margin.
  stop_pid "replica-$1" "$(pid_of "replica-$1")" $((DRAIN_DELAY_SECS + SHUTDOWN_TIMEOUT_SECS + 5)) "$CLUSTER_BIN"
}

lb_states() {
  python3 - "$LB_SOCKET" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(2)
try:
    s.connect(sys.argv[1])
    s.sendall(b"show servers state resourceful\n")
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
except OSError:
    sys.exit(1)
for line in out.decode().splitlines():
    p = line.split()
    if len(p) > 5 and p[3].startswith("replica"):
        print(p[3], p[5])
EOF
}

start_haproxy() {
  if alive "$(pid_of haproxy)" haproxy; then return 0; fi
  command -v haproxy >/dev/null || die "haproxy is not installed (Debian package haproxy)"
  ! port_busy "$CLUSTER_LB_PORT" || die "port $CLUSTER_LB_PORT (load balancer) is taken by another program"
  local n unset=(-u LB_STATS_PORT) set=()
  # Only this cluster's replicas, whatever the caller's environment holds.
  for n in 1 2 3 4 5 6 7 8; do
    if [ "$n" -le "$REPLICAS" ]; then set+=("REPLICA${n}_PORT=$(replica_port "$n")"); else unset+=(-u "REPLICA${n}_PORT"); fi
  done
  if [ -n "$CLUSTER_STATS_PORT" ]; then set+=("LB_STATS_PORT=$CLUSTER_STATS_PORT"); fi
  rm -f "$LB_SOCKET"
  env "${unset[@]}" "${set[@]}" LB_BIND=$HOST LB_PORT="$CLUSTER_LB_PORT" LB_ADMIN_SOCKET="$LB_SOCKET" REPLICA_HOST=$HOST \
    haproxy -f deploy/haproxy/haproxy.cfg -db < /dev/null >> "$RUN_DIR/haproxy.log" 2>&1 &
  echo $! > "$RUN_DIR/haproxy.pid"
}

wait_in_rotation() {
  local deadline=$((SECONDS + 30)) up
  while :; do
    up=$( (lb_states 2>/dev/null || true) | awk '$2 == 2' | wc -l)
    [ "$up" -eq "$REPLICAS" ] && return 0
    alive "$(pid_of haproxy)" haproxy || { tail -20 "$RUN_DIR/haproxy.log" >&2; die "haproxy exited"; }
    [ $SECONDS -lt $deadline ] || { lb_states >&2 || true; die "not every replica in rotation within 30 s"; }
    sleep 0.2
  done
}

ensure_binary() {
  if [ -z "$CLUSTER_BIN" ]; then
    CLUSTER_BIN=$ROOT/target/release/example-service
    if [ ! -x "$CLUSTER_BIN" ]; then
      note "building the example service (release)"
      cargo build --release -p example-service >&2
    fi
  fi
  case $CLUSTER_BIN in /*) ;; *) CLUSTER_BIN=$ROOT/$CLUSTER_BIN;; esac
  [ -x "$CLUSTER_BIN" ] || die "CLUSTER_BIN=$CLUSTER_BIN is not an executable"
}

ensure_schema() {
  case $DATABASE_URL in postgres://*|postgresql://*) ;; *) return 0;; esac
  [ -n "$DATABASE_SCHEMA" ] || return 0
  command -v psql >/dev/null || die "psql is needed to create the schema $DATABASE_SCHEMA"
  local reset=""
  [ "${CLUSTER_RESET_DB:-}" = 1 ] && reset="DROP SCHEMA IF EXISTS \"$DATABASE_SCHEMA\" CASCADE;"
  psql "$DATABASE_URL" -qc "SET client_min_messages = warning; $reset CREATE SCHEMA IF NOT EXISTS \"$DATABASE_SCHEMA\"" >/dev/null
}

anything_running() {
  local f
  alive "$(pid_of haproxy)" haproxy && return 0
  for f in "$RUN_DIR"/replica-*.pid; do
    [ -f "$f" ] && running "$(cat "$f")" && return 0
  done
  return 1
}

# --- commands -----------------------------------------------------------------
cmd_start() {
  mkdir -p "$RUN_DIR"
  if [ -f "$STATE" ] && anything_running; then
    # Running already: keep its settings (a second start is a no-op that
    # completes whatever is missing).
    load_settings
  else
    fresh_settings
    ensure_binary
  fi
  ensure_schema
  save_settings
  local n
  for n in $(seq 1 "$REPLICAS"); do start_replica "$n"; done
  for n in $(seq 1 "$REPLICAS"); do wait_ready "$n"; done
  start_haproxy
  wait_in_rotation
  note "$REPLICAS replicas on ports $(replica_port 1)-$(replica_port "$REPLICAS"), logs in $RUN_DIR"
  lb_url
}

cmd_stop() {
  [ -f "$STATE" ] || { note "not running"; return 0; }
  load_settings
  # The load balancer first (soft stop: it finishes open requests), so
  # nothing new reaches the replicas; then every replica at once.
  stop_pid haproxy "$(pid_of haproxy)" 10 haproxy USR1
  rm -f "$LB_SOCKET"
  local n pids=()
  for f in "$RUN_DIR"/replica-*.pid; do
    [ -f "$f" ] || continue
    n=${f##*/replica-}; n=${n%.pid}
    stop_replica "$n" & pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
  note "stopped"
}

cmd_status() {
  [ -f "$STATE" ] || { echo "not started"; return 3; }
  load_settings
  local n pid port ok=0 states
  states=$(lb_states 2>/dev/null || true)
  for n in $(seq 1 "$REPLICAS"); do
    pid=$(pid_of "replica-$n"); port=$(replica_port "$n")
    if alive "$pid" "$CLUSTER_BIN"; then
      local r=unready; ready "$n" && r=ready
      local s; s=$(awk -v s="replica$n" '$1 == s {print ($2 == 2 ? "in rotation" : ($2 == 0 ? "down" : "state " $2))}' <<< "$states")
      echo "replica $n: running, pid $pid, http://$HOST:$port, $r, haproxy: ${s:-unknown}"
    else
      echo "replica $n: stopped (port $port)"; ok=3
    fi
  done
  pid=$(pid_of haproxy)
  if alive "$pid" haproxy; then
    echo "haproxy: running, pid $pid, $(lb_url), admin socket $LB_SOCKET"
  else
    echo "haproxy: stopped"; ok=3
  fi
  return $ok
}

cmd_restart_replica() {
  local n=${1:-}
  [ -f "$STATE" ] || die "not started"
  load_settings
  [[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le "$REPLICAS" ] || die "restart-replica N: N from 1 to $REPLICAS"
  stop_replica "$n"
  start_replica "$n"
  wait_ready "$n"
  note "replica $n restarted, pid $(pid_of "replica-$n")"
}

case ${1:-} in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  restart-replica) cmd_restart_replica "${2:-}" ;;
  *) echo "usage: $0 start|stop|status|restart-replica N" >&2; exit 2 ;;
esac
