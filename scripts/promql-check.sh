#!/bin/sh
# Builds promql-check (test/tools/promql: Prometheus's own rule-file and PromQL parsers, what `promtool check rules`
# runs, without promtool's service-discovery dependencies) once per machine and source, and prints its path as the
# last line of its standard output. Progress goes to standard error. A cold build takes about a minute on 2 cores.
# Needs go >= 1.26 and the Go module proxy (or a filled module cache).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
moddir="$root/test/tools/promql"

say() { printf 'promql-check: %s\n' "$*" >&2; }
die() { printf 'promql-check: error: %s\n' "$*" >&2; exit 1; }

# The source decides the folder: a change to main.go or the module's pins builds anew.
key=$(cat "$moddir/go.mod" "$moddir/go.sum" "$moddir/main.go" | sha256sum | cut -c1-16)
cache="$root/.cache/promql-check"
dest="$cache/$key"
if [ -x "$dest/promql-check" ]; then
  printf '%s\n' "$dest/promql-check"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "go is not installed (or not on PATH); building promql-check needs go >= 1.26"
mkdir -p "$cache"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache/.lock"
  flock -w 1800 9 || die "still locked after 30 minutes: $cache/.lock"
  rm -rf "$cache"/.building-*
fi
if [ -x "$dest/promql-check" ]; then
  printf '%s\n' "$dest/promql-check"
  exit 0
fi

tmp=$(mktemp -d "$cache/.building-$key.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
say "building test/tools/promql with $(go env GOVERSION) (about a minute on 2 cores, once)"
if ! (cd "$moddir" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/promql-check" .) >"$tmp/build.log" 2>&1; then
  tail -n 40 "$tmp/build.log" >&2
  die "go build failed; the lines above are the end of its output"
fi
rm -f "$tmp/build.log"
chmod 755 "$tmp"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
say "built in $(( $(date +%s) - start ))s: $dest/promql-check"
printf '%s\n' "$dest/promql-check"
