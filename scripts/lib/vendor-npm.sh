# Vendors files of one pinned npm package into the tree (sourced by the
# vendor-*.sh scripts). The tarball is checked against the registry's
# dist.integrity before anything is copied, so a tampered download never
# reaches the tree; the SHA-256 of each copied file is printed for the
# README next to them.
#   vendor_npm PACKAGE VERSION DEST FILE...   (FILE relative to the package)
vendor_npm() {
  local package=$1 version=$2 dest=$3
  shift 3
  command -v npm >/dev/null || { echo "npm is required" >&2; return 1; }
  local work
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  local expected tarball actual
  expected=$(npm view "$package@$version" dist.integrity)
  [ -n "$expected" ] || { echo "the registry gave no dist.integrity for $package@$version" >&2; return 1; }
  tarball=$(cd "$work" && npm pack --silent "$package@$version" | tail -n 1)
  # Subresource-integrity form: <algorithm>-<base64 digest>.
  actual=$(node -e '
    const [file, expected] = process.argv.slice(1);
    const algo = expected.split("-")[0];
    const digest = require("crypto").createHash(algo).update(require("fs").readFileSync(file)).digest("base64");
    process.stdout.write(algo + "-" + digest);
  ' "$work/$tarball" "$expected")
  if [ "$actual" != "$expected" ]; then
    echo "integrity mismatch for $tarball: registry says $expected, download is $actual" >&2
    return 1
  fi
  echo "verified $tarball ($expected)"
  tar -xzf "$work/$tarball" -C "$work"
  mkdir -p "$dest"
  local f
  for f in "$@"; do
    cp "$work/package/$f" "$dest/$(basename "$f")"
  done
  echo "SHA-256 of the copied files:"
  for f in "$@"; do
    (cd "$dest" && sha256sum "$(basename "$f")")
  done
}
