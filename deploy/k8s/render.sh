#!/usr/bin/env bash
# Renders one environment with the API image pinned by digest, to stdout:
#
#   deploy/k8s/render.sh dev ghcr.io/example/resourceful-api@sha256:<64 hex> | kubectl apply -f -
#
# The overlays name the image only as `resourceful-api` (unpullable), so the
# digest is always chosen at deploy time and never committed. This wraps the
# overlay in a throw-away kustomization with an `images:` entry, the same
# change `kustomize edit set image` would make, without editing the tree.
# Needs kubectl (its built-in kustomize) or kustomize.
set -euo pipefail
usage() { echo "usage: $0 dev|staging|prod IMAGE@sha256:DIGEST" >&2; exit 2; }
[ $# -eq 2 ] || usage
env=$1 image=$2
here=$(cd "$(dirname "$0")" && pwd)
overlay=$here/overlays/$env
[ -f "$overlay/kustomization.yaml" ] || { echo "no overlay $overlay" >&2; usage; }
# A registry path and a sha256 digest, nothing else (the value goes into YAML).
if ! [[ $image =~ ^[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}$ ]]; then
  echo "image must be NAME@sha256:<64 hex digits>, got: $image" >&2
  exit 2
fi
name=${image%@*} digest=${image#*@}
# A tag beside the digest adds nothing: the digest wins.
last=${name##*/}
if [[ $last == *:* ]]; then name=${name%:*}; fi

# Inside this folder: kustomize takes only relative paths to other roots.
tmp=$(mktemp -d "$here/.render.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../overlays/$env
images:
  - name: resourceful-api
    newName: $name
    digest: $digest
YAML
if command -v kubectl >/dev/null; then
  kubectl kustomize "$tmp"
else
  kustomize build "$tmp"
fi
