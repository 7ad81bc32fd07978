#!/bin/sh
# Builds promql-check (test/tools/promql: Prometheus's own rule-file and PromQL parsers, what `promtool check rules`
# runs, without promtool's service-discovery dependencies) once per machine and source, and prints its path as the
# last line of its standard output. Progress goes to standard error. A cold build takes about a minute on 2 cores.
# Needs go >= 1.26 and the Go module proxy (or a filled module cache).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
moddir="$root/test/tools/promql"
tool=promql-check
. "$root/scripts/lib/go-tool.sh"

# The source decides the folder: a change to main.go or the module's pins builds anew.
key=$(cat "$moddir/go.mod" "$moddir/go.sum" "$moddir/main.go" | sha256sum | cut -c1-16)
cache="$root/.cache/promql-check"
dest="$cache/$key"
if [ -x "$dest/promql-check" ]; then
  printf '%s\n' "$dest/promql-check"
  exit 0
fi

go_tool_need_go promql-check
go_tool_lock "$cache" 1800
if [ -x "$dest/promql-check" ]; then
  printf '%s\n' "$dest/promql-check"
  exit 0
fi

go_tool_start "$cache" "$key"
start=$(date +%s)
say "building test/tools/promql with $goversion (about a minute on 2 cores, once)"
go_tool_build promql-check . "-s -w"
go_tool_done "$dest"
say "built in $(elapsed "$start"): $dest/promql-check"
printf '%s\n' "$dest/promql-check"
