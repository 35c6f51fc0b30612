#!/usr/bin/env bash
# Waits until the production Rollout has taken up the applied pod template
# and reached a stable point: the first canary pause (10 % of traffic,
# analysis running) or, when nothing changed, Healthy. Fails when the
# Rollout is Degraded or aborted, or after TIMEOUT seconds. The canary's
# later steps take 18 hours and are not waited for.
#
#   deploy/k8s/wait-canary.sh resourceful-prod [TIMEOUT]
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 NAMESPACE [TIMEOUT_SECONDS]" >&2; exit 2; }
ns=$1 timeout=${2:-900}
get() { kubectl -n "$ns" get "$1" resourceful-api -o "jsonpath=$2"; }
# The Rollout records which generation of the referenced Deployment it has seen.
want=$(get deployment '{.metadata.generation}')
deadline=$((SECONDS + timeout))
while [ "$SECONDS" -lt "$deadline" ]; do
  seen=$(get rollout '{.status.workloadObservedGeneration}')
  phase=$(get rollout '{.status.phase}')
  step=$(get rollout '{.status.currentStepIndex}')
  aborted=$(get rollout '{.status.abort}')
  echo "deployment generation $want, seen $seen; phase $phase; step ${step:-?}"
  if [ "$aborted" = true ] || [ "$phase" = Degraded ]; then
    kubectl -n "$ns" get rollout resourceful-api -o "jsonpath={.status.message}{'\n'}" >&2
    exit 1
  fi
  if [ "$seen" = "$want" ] && { [ "$phase" = Healthy ] || { [ "$phase" = Paused ] && [ "${step:-0}" -ge 1 ]; }; }; then
    echo "rollout $phase at step ${step:-0}"
    exit 0
  fi
  sleep 10
done
echo "the rollout did not reach its first pause within ${timeout}s" >&2
exit 1
