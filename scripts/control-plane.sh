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

say() { printf 'control-plane: %s\n' "$*" >&2; }
die() { printf 'control-plane: error: %s\n' "$*" >&2; exit 1; }

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

# --- Go toolchain ---------------------------------------------------------------------------------------
command -v go >/dev/null 2>&1 || die "go is not installed (or not on PATH); building the control plane needs go >= 1.26 (https://go.dev/dl/), or set KUBEBUILDER_ASSETS to a folder with kube-apiserver, etcd and kubectl"
goversion=$(go env GOVERSION 2>/dev/null || true)
case "$goversion" in
  go1.*) ;;
  *) die "cannot tell the version of $(command -v go) (go env GOVERSION said '$goversion'); need go >= 1.26" ;;
esac
gominor=$(printf '%s' "${goversion#go}" | cut -d. -f2 | sed 's/[^0-9].*//')
[ -n "$gominor" ] && [ "$gominor" -ge 26 ] || die "$(command -v go) is $goversion; building Kubernetes $version needs go >= 1.26"

mkdir -p "$cache"

# --- One build at a time per machine ------------------------------------------------------------------
# A second caller waits for the first (flock from util-linux, on a descriptor of this shell so that signals
# reach this script and not a wrapper), then finds the folder complete.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache/.lock"
  if ! flock -n 9; then
    say "another build holds $cache/.lock: waiting for it (at most an hour)"
    flock -w 3600 9 || die "still locked after an hour: $cache/.lock"
  fi
  # Holding the lock, no build runs: a leftover temp folder is from a build that was killed outright.
  rm -rf "$cache"/.building-*
fi
if complete "$dest"; then
  say "kubernetes $version was built meanwhile in $dest"
  printf '%s\n' "$dest"
  exit 0
fi

# --- Build ----------------------------------------------------------------------------------------------
tmp=$(mktemp -d "$cache/.building-$version.XXXXXX")
buildpid=""
cleanup() {
  if [ -n "$buildpid" ]; then kill "$buildpid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

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

elapsed() { echo "$(( $(date +%s) - $1 ))s"; }

say "building kubernetes $version with $goversion into $dest (the first build on a machine takes 11-14 minutes on 2 cores, then seconds)"
total_start=$(date +%s)
n=0
for b in $binaries; do
  n=$((n + 1))
  pkg=$(package_of "$b")
  say "[$n/4] building $b ($pkg)"
  start=$(date +%s)
  (cd "$moddir" && CGO_ENABLED=0 exec go build -trimpath -ldflags "$ldflags" -o "$tmp/$b" "$pkg") >"$tmp/$b.log" 2>&1 &
  buildpid=$!
  ticks=0
  while kill -0 "$buildpid" 2>/dev/null; do
    sleep 1
    ticks=$((ticks + 1))
    if [ $((ticks % 30)) -eq 0 ]; then
      say "[$n/4] still building $b: $(elapsed "$start") for it, $(elapsed "$total_start") in all"
    fi
  done
  status=0
  wait "$buildpid" || status=$?
  buildpid=""
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$tmp/$b.log" >&2
    die "go build of $b failed (exit $status); the lines above are the end of its output"
  fi
  rm -f "$tmp/$b.log"
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

chmod 755 "$tmp"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
say "built kubernetes $version in $(elapsed "$total_start"): $dest"
printf '%s\n' "$dest"
