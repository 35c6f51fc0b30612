#!/usr/bin/env bash
# Refreshes the Swagger UI files in runtime/assets/docs-ui from the pinned
# npm tarball, verified against the registry's integrity (scripts/lib/vendor-npm.sh).
# To move to another version: change VERSION, run this script, then update
# the version and the SHA-256 sums it prints in runtime/assets/docs-ui/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/vendor-npm.sh
VERSION=5.35.0
# Only what the page loads, plus the licence texts that must go with it.
vendor_npm swagger-ui-dist "$VERSION" runtime/assets/docs-ui \
  swagger-ui-bundle.js swagger-ui.css index.css LICENSE NOTICE swagger-ui-bundle.js.LICENSE.txt
