#!/usr/bin/env bash
# Cluster tests: a local cluster (scripts/local-cluster.sh: replicas behind
# HAProxy on PostgreSQL and Redis) under constant load, through a drain
# (SIGTERM), a crash (SIGKILL), a restart and cross-replica cache
# invalidation; then autoscaling computed from a real Prometheus during a
# spike. The cluster and Prometheus are always stopped at the end.
#
#   bash scripts/cluster-tests/run.sh
#
# CLUSTER_BIN=target/debug/example-service uses that build instead of the
# release one (which is built when missing). Ends with
# `cluster: N passed, M failed`.
set -uo pipefail
cd "$(dirname "$0")/../.."
RUN_DIR=target/local-cluster
RESULTS=$RUN_DIR/results.txt
here=scripts/cluster-tests
# No __pycache__ in the source tree.
export PYTHONDONTWRITEBYTECODE=1

cleanup() {
  if [ -f "$RUN_DIR/prometheus.pid" ]; then
    kill "$(cat "$RUN_DIR/prometheus.pid")" 2>/dev/null || true
    rm -f "$RUN_DIR/prometheus.pid"
  fi
  bash scripts/local-cluster.sh stop || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# What the suite drives: HAProxy in front, Prometheus scraping, wrk for
# the spike. Installed when missing (Debian packages, services not started).
# shellcheck source=../lib/apt.sh
. scripts/lib/apt.sh
missing=()
command -v haproxy >/dev/null || missing+=(haproxy)
command -v prometheus >/dev/null || missing+=(prometheus)
command -v wrk >/dev/null || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}" || true; fi

# A schema and key prefix of their own, emptied at every start: the runs
# do not depend on what earlier runs (or a cluster started by hand) left.
export DATABASE_SCHEMA=${CLUSTER_TEST_SCHEMA:-cluster_test}
export REDIS_KEY_PREFIX=${CLUSTER_TEST_REDIS_PREFIX:-resourceful-cluster-test}
export CLUSTER_RESET_DB=1
mkdir -p "$RUN_DIR"
: > "$RESULTS"
started=$SECONDS
# A cluster left running (by hand, or by an interrupted run) is replaced,
# so every run starts from the same state.
bash scripts/local-cluster.sh stop >/dev/null 2>&1 || true
if url=$(bash scripts/local-cluster.sh start | tail -1) && [ -n "$url" ]; then
  echo "PASS the cluster starts with every replica in rotation: $url" | tee -a "$RESULTS"
  bash scripts/local-cluster.sh status || true
  timeout 150 python3 "$here/cases.py" || echo "FAIL cases.py exited with status $?" | tee -a "$RESULTS"
  # The spike and the time after it, plus Prometheus' start and the syncs.
  timeout $((${SPIKE_SECS:-50} + ${AFTER_SPIKE_SECS:-30} + 90)) python3 "$here/autoscaling.py" || echo "FAIL autoscaling.py exited with status $?" | tee -a "$RESULTS"
else
  echo "FAIL the cluster starts (logs: $RUN_DIR/*.log)" | tee -a "$RESULTS"
fi

cleanup
passed=$(grep -c '^PASS' "$RESULTS" || true)
failed=$(grep -c '^FAIL' "$RESULTS" || true)
echo
echo "cluster suite took $((SECONDS - started)) s"
echo "cluster: $passed passed, $failed failed"
[ "$failed" = 0 ]
