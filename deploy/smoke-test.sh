#!/usr/bin/env bash
# Smoke test of a deployed environment through its public address: the
# service is ready and answers a list request with JSON.
#
#   deploy/smoke-test.sh https://dev.api.example.com
#
# Retries for about a minute, so it can run right after a rollout.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 BASE_URL" >&2; exit 2; }
base=${1%/}
fetch() {
  curl --silent --show-error --fail --max-time 10 \
    --retry 12 --retry-delay 5 --retry-all-errors "$@"
}
echo "GET $base/health/ready"
fetch --output /dev/null "$base/health/ready"
echo "GET $base/v1/projects?limit=1"
body=$(fetch --header 'Accept: application/json' "$base/v1/projects?limit=1")
printf '%s' "$body" | python3 -c 'import json, sys; json.load(sys.stdin)' \
  || { echo "the list response is not JSON: $body" >&2; exit 1; }
echo "smoke test passed: $base"
