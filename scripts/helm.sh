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
tool=helm
. "$root/scripts/lib/go-tool.sh"

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

go_tool_need_go "helm $version" "set HELM to a Helm 4 binary"
go_tool_lock "$cache" 1800
if [ -x "$dest/helm" ]; then
  printf '%s\n' "$dest/helm"
  exit 0
fi

go_tool_start "$cache" "$version"
say "building helm $version with $goversion into $dest (a cold build takes a few minutes on 2 cores, then it is reused)"
start=$(date +%s)
# helm's own Makefile sets the version the same way (-X helm.sh/helm/v4/internal/version.version).
ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$version -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
go_tool_build helm helm.sh/helm/v4/cmd/helm "$ldflags"

"$tmp/helm" version --short 2>/dev/null | grep -q "^$version" || die "the built helm does not report $version: $("$tmp/helm" version --short 2>&1 || true)"
echo "helm $version built with $goversion on $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(elapsed "$start")" > "$tmp/BUILD-INFO"
go_tool_done "$dest"
say "built helm $version in $(elapsed "$start"): $dest/helm"
printf '%s\n' "$dest/helm"
