#!/bin/sh
# The e2e tier alone (npm run test:e2e): one real control plane for every file, files one at a time (they install
# cluster-wide webhook configurations).
set -eu
cd "$(dirname "$0")/.."
PATH="$PWD/node_modules/.bin:$PATH"
export PATH
node --import tsx --test --test-concurrency=1 --test-timeout=600000 --test-global-setup=test/e2e/global-setup.mjs 'test/e2e/**/*.test.ts'
