#!/bin/sh
# The whole test suite: installs what it needs (Debian packages for the real registry and test images; the
# Kubernetes control plane built from Go modules once per machine into .cache/), type-checks, then runs every
# *.test.ts with node:test under the project's own Node 24: the unit and integration tiers, the container image tier,
# then the e2e tier against one real control plane (test/e2e/cluster-setup.ts).
set -eu
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
sh scripts/test-deps.sh
# Builds kube-apiserver, etcd, kube-controller-manager and kubectl on first use (11-14 minutes on 2 cores, progress
# on stderr), then answers at once; KUBEBUILDER_ASSETS names prebuilt ones instead.
sh scripts/control-plane.sh >/dev/null
# Helm 4 (test/tools/helm: about 4 minutes cold on 2 cores, once) and Prometheus's rule parser (test/tools/promql:
# about a minute) for test/chart, built from Go modules the same way.
sh scripts/helm.sh >/dev/null
sh scripts/promql-check.sh >/dev/null
PATH="$PWD/node_modules/.bin:$PATH"
export PATH
echo "node $(node --version), $(tsc --version)"
tsc --noEmit -p tsconfig.json
node --import tsx --test --test-concurrency=2 --test-timeout=300000 'src/**/*.test.ts' 'test/!(e2e|container-image)/**/*.test.ts'
# The container image built from the Dockerfile, judged by the guard and run with runc (scripts/test-image.sh).
sh scripts/test-image.sh
sh scripts/test-e2e.sh
