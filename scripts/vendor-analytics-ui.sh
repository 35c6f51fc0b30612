#!/usr/bin/env bash
# Refreshes the uPlot files in runtime/assets/analytics from the pinned npm
# tarball, verified against the registry's integrity (scripts/lib/vendor-npm.sh).
# To move to another version: change VERSION, run this script, then update
# the version and the SHA-256 sums it prints in runtime/assets/analytics/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/vendor-npm.sh
VERSION=1.6.32
# Only what the page loads, plus the licence text that must go with it.
vendor_npm uplot "$VERSION" runtime/assets/analytics dist/uPlot.iife.min.js dist/uPlot.min.css LICENSE
