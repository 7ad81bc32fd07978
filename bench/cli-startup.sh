#!/bin/sh
# npm run bench:cli: how fast the installed CLI starts, as the ratio of its mean to the mean of the project's own
# Node running an empty script, all measured by hyperfine in one run (a loaded machine slows all of them alike; the
# raw means are printed too). Targets: `--version` at most 5x, `check --offline` of one Pod at most 12x.
# Exit 0 when both hold, 1 when one does not. Needs hyperfine (Debian package `hyperfine`).
set -eu
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null 2>&1 || { echo "bench:cli needs hyperfine: apt-get install hyperfine" >&2; exit 1; }
node="$PWD/node_modules/.bin/node"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: >"$work/empty.mjs"
cat >"$work/pod.yaml" <<'POD'
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
    - name: web
      image: gcr.io/distroless/static-debian12:nonroot
POD
# The first run after a source change builds dist/: done here, outside the measurement.
bin/distroless-guard --version >/dev/null
hyperfine --shell=none --warmup 3 --runs "${RUNS:-30}" --export-json "$work/runs.json" \
  --command-name node-empty-script "$node $work/empty.mjs" \
  --command-name version "bin/distroless-guard --version" \
  --command-name check-offline "bin/distroless-guard check --offline -f $work/pod.yaml" >&2
"$node" --input-type=module -e '
import { readFileSync } from "node:fs";
const results = JSON.parse(readFileSync(process.argv[1], "utf8")).results;
const mean = (name) => results.find((r) => r.command === name).mean * 1000;
const base = mean("node-empty-script");
let failed = false;
console.log(`node empty script: ${base.toFixed(1)} ms (the unit of the ratios)`);
for (const [name, target] of [["version", 5], ["check-offline", 12]]) {
  const ratio = mean(name) / base;
  const pass = ratio <= target;
  failed ||= !pass;
  console.log(`${name}: ${mean(name).toFixed(1)} ms = ${ratio.toFixed(2)}x (target <= ${target}x) ${pass ? "PASS" : "FAIL"}`);
}
process.exitCode = failed ? 1 : 0;
' "$work/runs.json"
