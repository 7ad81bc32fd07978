#!/bin/sh
# Builds the Helm CLI that the chart tests run (helm lint, helm template, helm install), once per machine and Helm
# release, and prints its path as the last line of its standard output. Progress goes to standard error.
#
#   sh scripts/helm.sh              # builds on first use (minutes on 2 cores), then instant
#   HELM=/path/to/helm sh scripts/helm.sh
#                                   # uses that helm instead (it must be Helm 4)
#
# The release is the helm.sh/helm/v4 version in test/tools/helm/go.mod. The binary goes to .cache/helm/<release>/helm,
# built in a temporary folder that is renamed when done, so an interrupted build leaves no half-filled folder behind.
# Needs go >= 1.26 and the Go module proxy (or a filled module cache).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
moddir="$root/test/tools/helm"

say() { printf 'helm: %s\n' "$*" >&2; }
die() { printf 'helm: error: %s\n' "$*" >&2; exit 1; }

if [ -n "${HELM:-}" ]; then
  [ -x "$HELM" ] || die "HELM=$HELM is not an executable file"
  "$HELM" version --short 2>/dev/null | grep -q '^v4\.' || die "HELM=$HELM is not Helm 4 ($("$HELM" version --short 2>&1 || true))"
  say "using HELM=$HELM (nothing built)"
  printf '%s\n' "$HELM"
  exit 0
fi

[ -f "$moddir/go.mod" ] || die "$moddir/go.mod is missing"
version=$(sed -n 's#^require[[:space:]]\{1,\}helm\.sh/helm/v4[[:space:]]\{1,\}\(v4\.[0-9]*\.[0-9]*\)[[:space:]]*$#\1#p' "$moddir/go.mod" | head -n 1)
[ -n "$version" ] || die "no 'require helm.sh/helm/v4 v4.X.Y' line in $moddir/go.mod"

cache="$root/.cache/helm"
dest="$cache/$version"

if [ -x "$dest/helm" ]; then
  printf '%s\n' "$dest/helm"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "go is not installed (or not on PATH); building helm needs go >= 1.26 (https://go.dev/dl/), or set HELM to a Helm 4 binary"
goversion=$(go env GOVERSION 2>/dev/null || true)
gominor=$(printf '%s' "${goversion#go1.}" | sed 's/[^0-9].*//')
[ -n "$gominor" ] && [ "$gominor" -ge 26 ] || die "$(command -v go) is '$goversion'; building helm $version needs go >= 1.26"

mkdir -p "$cache"

# One build at a time per machine: a second caller waits for the first, then finds the binary there.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache/.lock"
  if ! flock -n 9; then
    say "another build holds $cache/.lock: waiting for it (at most 30 minutes)"
    flock -w 1800 9 || die "still locked after 30 minutes: $cache/.lock"
  fi
  rm -rf "$cache"/.building-*
fi
if [ -x "$dest/helm" ]; then
  printf '%s\n' "$dest/helm"
  exit 0
fi

tmp=$(mktemp -d "$cache/.building-$version.XXXXXX")
buildpid=""
cleanup() {
  if [ -n "$buildpid" ]; then kill "$buildpid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

elapsed() { echo "$(( $(date +%s) - $1 ))s"; }

say "building helm $version with $goversion into $dest (a cold build takes a few minutes on 2 cores, then it is reused)"
start=$(date +%s)
# helm's own Makefile sets the version the same way (-X helm.sh/helm/v4/internal/version.version).
ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$version -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
(cd "$moddir" && CGO_ENABLED=0 exec go build -trimpath -ldflags "$ldflags" -o "$tmp/helm" helm.sh/helm/v4/cmd/helm) >"$tmp/build.log" 2>&1 &
buildpid=$!
ticks=0
while kill -0 "$buildpid" 2>/dev/null; do
  sleep 1
  ticks=$((ticks + 1))
  if [ $((ticks % 30)) -eq 0 ]; then say "still building: $(elapsed "$start")"; fi
done
status=0
wait "$buildpid" || status=$?
buildpid=""
if [ "$status" -ne 0 ]; then
  tail -n 40 "$tmp/build.log" >&2
  die "go build of helm failed (exit $status); the lines above are the end of its output"
fi
rm -f "$tmp/build.log"

"$tmp/helm" version --short 2>/dev/null | grep -q "^$version" || die "the built helm does not report $version: $("$tmp/helm" version --short 2>&1 || true)"
echo "helm $version built with $goversion on $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(elapsed "$start")" > "$tmp/BUILD-INFO"

chmod 755 "$tmp"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
say "built helm $version in $(elapsed "$start"): $dest/helm"
printf '%s\n' "$dest/helm"
