#!/usr/bin/env bash
# Refreshes the uPlot files in runtime/assets/analytics from the pinned
# npm tarball. The tarball is checked against the registry's dist.integrity
# before anything is copied, so a tampered download never reaches the tree.
# To move to another version: change VERSION, run this script, then update
# the version and the SHA-256 sums it prints in runtime/assets/analytics/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGE=uplot
VERSION=1.6.32
DEST=runtime/assets/analytics
# Only what the page loads, plus the licence texts that must go with it.
FILES=(dist/uPlot.iife.min.js dist/uPlot.min.css LICENSE)

command -v npm >/dev/null || { echo "npm is required" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

expected=$(npm view "$PACKAGE@$VERSION" dist.integrity)
[ -n "$expected" ] || { echo "the registry gave no dist.integrity for $PACKAGE@$VERSION" >&2; exit 1; }
tarball=$(cd "$WORK" && npm pack --silent "$PACKAGE@$VERSION" | tail -n 1)
# Subresource-integrity form: <algorithm>-<base64 digest>.
actual=$(node -e '
  const [file, expected] = process.argv.slice(1);
  const algo = expected.split("-")[0];
  const digest = require("crypto").createHash(algo).update(require("fs").readFileSync(file)).digest("base64");
  process.stdout.write(algo + "-" + digest);
' "$WORK/$tarball" "$expected")
if [ "$actual" != "$expected" ]; then
  echo "integrity mismatch for $tarball: registry says $expected, download is $actual" >&2
  exit 1
fi
echo "verified $tarball ($expected)"

tar -xzf "$WORK/$tarball" -C "$WORK"
mkdir -p "$DEST"
for f in "${FILES[@]}"; do
  cp "$WORK/package/$f" "$DEST/$(basename "$f")"
done
echo "SHA-256 of the copied files:"
(cd "$DEST" && for f in "${FILES[@]}"; do sha256sum "$(basename "$f")"; done)
