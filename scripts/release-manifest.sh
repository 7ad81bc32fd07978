#!/bin/sh
# Writes the single-file release manifest: `kubectl kustomize` of a kustomization of this repository (default
# manifests/, the enforcing install) with the guard's image pinned by digest, to release/install.yaml (not committed).
#
#   sh scripts/release-manifest.sh registry.example.com/distroless-guard:0.1.0@sha256:<64 hex> [KUSTOMIZATION] [OUT]
#
# The image must carry a digest: a release names exactly the bytes it was tested with. kubectl comes from KUBECTL,
# else the control plane the tests build (scripts/control-plane.sh, built on first use).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
die() { printf 'release-manifest: error: %s\n' "$*" >&2; exit 2; }

[ $# -ge 1 ] && [ $# -le 3 ] || die "usage: sh scripts/release-manifest.sh IMAGE@sha256:DIGEST [KUSTOMIZATION (default manifests)] [OUT (default release/install.yaml)]"
image=$1
kustomization=${2:-manifests}
out=${3:-$root/release/install.yaml}

case "$image" in
  *@sha256:*) ;;
  *) die "$image has no @sha256: digest; pin the image you tested" ;;
esac
digest=${image##*@}
name_tag=${image%@*}
printf '%s' "$digest" | grep -Eq '^sha256:[0-9a-f]{64}$' || die "$digest is not a sha256 digest (sha256: and 64 hex digits)"
# A tag is what follows the last colon after the last slash (a registry port is before a slash).
last=${name_tag##*/}
case "$last" in
  *:*) name=${name_tag%:*}; tag=${last##*:} ;;
  *) name=$name_tag; tag="" ;;
esac
[ -f "$root/$kustomization/kustomization.yaml" ] || die "$kustomization has no kustomization.yaml (a folder of this repository)"

kubectl=${KUBECTL:-}
if [ -z "$kubectl" ]; then
  kubectl="$(sh "$root/scripts/control-plane.sh" | tail -n 1)/kubectl"
fi

# kustomize refuses absolute resource paths: the kustomization is written beside the repository's own folders.
mkdir -p "$root/.cache"
tmp=$(mktemp -d "$root/.cache/release.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
{
  echo "resources: [../../$kustomization]"
  echo "images:"
  echo "  - name: distroless-guard"
  echo "    newName: \"$name\""
  [ -n "$tag" ] && echo "    newTag: \"$tag\""
  echo "    digest: \"$digest\""
} > "$tmp/kustomization.yaml"

mkdir -p "$(dirname "$out")"
version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$root/package.json" | head -n 1)
{
  echo "# distroless-guard $version: kubectl kustomize $kustomization, image $image."
  echo "# kubectl apply --server-side -f install.yaml; on a cluster new to the CRD, the DistrolessPolicy is refused until the"
  echo "# CRD is Established: kubectl wait --for condition=Established crd/distrolesspolicies.distroless-guard.io, then apply again."
  "$kubectl" kustomize "$tmp"
} > "$out.tmp"
mv "$out.tmp" "$out"
printf '%s\n' "$out"
