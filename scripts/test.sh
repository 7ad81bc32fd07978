#!/bin/sh
# The whole test suite: installs what it needs (Debian packages for the real registry and test images; the
# Kubernetes control plane built from Go modules once per machine into .cache/), type-checks, then runs every
# *.test.ts with node:test under the project's own Node 24: the unit and integration tiers, then the e2e tier
# against one real control plane (test/e2e/cluster-setup.ts).
set -eu
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
sh scripts/test-deps.sh
# Builds kube-apiserver, etcd, kube-controller-manager and kubectl on first use (11-14 minutes on 2 cores, progress
# on stderr), then answers at once; KUBEBUILDER_ASSETS names prebuilt ones instead.
sh scripts/control-plane.sh >/dev/null
PATH="$PWD/node_modules/.bin:$PATH"
export PATH
echo "node $(node --version), $(tsc --version)"
tsc --noEmit -p tsconfig.json
node --import tsx --test --test-concurrency=2 --test-timeout=300000 'src/**/*.test.ts' 'test/!(e2e)/**/*.test.ts'
sh scripts/test-e2e.sh
