#!/bin/sh
# Builds the programs of a local Kubernetes control plane for the end-to-end tests (kube-apiserver,
# kube-controller-manager, kubectl and etcd), once per machine and Kubernetes release, and prints the
# folder that holds them as the last line of its standard output. Progress goes to standard error.
#
#   sh scripts/control-plane.sh            # builds on first use (11-14 minutes on 2 cores), then instant
#   KUBEBUILDER_ASSETS=/path sh scripts/control-plane.sh
#                                          # uses prebuilt binaries (kube-apiserver, etcd, kubectl) instead
#
# The release is the k8s.io/kubernetes version in test/controlplane/go.mod (regenerated, with its replace
# list, by scripts/control-plane/gen-replaces.sh). The binaries go to .cache/controlplane/<release>/,
# built in a temporary folder that is renamed when all four are done, so an interrupted build leaves no
# half-filled folder behind. Needs go >= 1.26 and the Go module proxy (or a filled module cache).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
moddir="$root/test/controlplane"
binaries="kube-apiserver etcd kubectl kube-controller-manager"
tool=control-plane
. "$root/scripts/lib/go-tool.sh"

# --- Prebuilt binaries (envtest's convention) -------------------------------------------------------
if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  missing=""
  for b in kube-apiserver etcd kubectl; do
    [ -x "$KUBEBUILDER_ASSETS/$b" ] || missing="$missing $b"
  done
  if [ -z "$missing" ]; then
    say "using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS (nothing built)"
    if [ ! -x "$KUBEBUILDER_ASSETS/kube-controller-manager" ]; then
      say "note: $KUBEBUILDER_ASSETS has no kube-controller-manager: no Deployments/ReplicaSets/ServiceAccounts controllers;"
      say "      the control plane then runs without it and with the ServiceAccount admission plugin off"
    fi
    printf '%s\n' "$KUBEBUILDER_ASSETS"
    exit 0
  fi
  say "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks:$missing; building from test/controlplane instead"
fi

# --- Which release ------------------------------------------------------------------------------------
[ -f "$moddir/go.mod" ] || die "$moddir/go.mod is missing (scripts/control-plane/gen-replaces.sh writes it)"
version=$(sed -n 's#^[[:space:]]*k8s\.io/kubernetes[[:space:]]\{1,\}\(v1\.[0-9]*\.[0-9]*\)[[:space:]]*$#\1#p' "$moddir/go.mod" | head -n 1)
[ -n "$version" ] || die "no 'k8s.io/kubernetes v1.X.Y' requirement in $moddir/go.mod"
minor=$(printf '%s' "$version" | cut -d. -f2)

cache="$root/.cache/controlplane"
dest="$cache/$version"

complete() {
  for b in $binaries; do [ -x "$1/$b" ] || return 1; done
  return 0
}

if complete "$dest"; then
  say "kubernetes $version already built in $dest"
  printf '%s\n' "$dest"
  exit 0
fi

go_tool_need_go "Kubernetes $version" "set KUBEBUILDER_ASSETS to a folder with kube-apiserver, etcd and kubectl"
# One build at a time per machine: a second caller waits for the first, then finds the folder complete.
go_tool_lock "$cache" 3600
if complete "$dest"; then
  say "kubernetes $version was built meanwhile in $dest"
  printf '%s\n' "$dest"
  exit 0
fi

# --- Build ----------------------------------------------------------------------------------------------
go_tool_start "$cache" "$version"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags="$ldflags -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done

package_of() {
  case "$1" in
    etcd) echo go.etcd.io/etcd/server/v3 ;;
    *) echo "k8s.io/kubernetes/cmd/$1" ;;
  esac
}

say "building kubernetes $version with $goversion into $dest (the first build on a machine takes 11-14 minutes on 2 cores, then seconds)"
total_start=$(date +%s)
n=0
for b in $binaries; do
  n=$((n + 1))
  pkg=$(package_of "$b")
  say "[$n/4] building $b ($pkg)"
  start=$(date +%s)
  go_tool_build "$b" "$pkg" "$ldflags"
  size=$(du -m "$tmp/$b" | cut -f1)
  say "[$n/4] built $b in $(elapsed "$start") (${size} MB)"
done

# The version ldflags must have taken: the tests compare /version with the release.
if ! "$tmp/kubectl" version --client 2>/dev/null | grep -q "Client Version: $version"; then
  "$tmp/kubectl" version --client >&2 || true
  die "kubectl does not report $version: the version ldflags did not apply"
fi
if ! "$tmp/kube-apiserver" --version 2>/dev/null | grep -q "Kubernetes $version"; then
  "$tmp/kube-apiserver" --version >&2 || true
  die "kube-apiserver does not report $version: the version ldflags did not apply"
fi

{
  echo "kubernetes $version"
  echo "$("$tmp/etcd" --version 2>/dev/null | head -n 1)"
  echo "built with $goversion on $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(elapsed "$total_start")"
} > "$tmp/BUILD-INFO"

go_tool_done "$dest"
say "built kubernetes $version in $(elapsed "$total_start"): $dest"
printf '%s\n' "$dest"
