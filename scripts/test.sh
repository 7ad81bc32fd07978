#!/bin/sh
# The whole test suite: installs what it needs (Debian packages for the real registry and test images),
# type-checks, then runs every *.test.ts with node:test under the project's own Node 24.
set -eu
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
sh scripts/test-deps.sh
PATH="$PWD/node_modules/.bin:$PATH"
export PATH
echo "node $(node --version), $(tsc --version)"
tsc --noEmit -p tsconfig.json
node --import tsx --test --test-concurrency=2 --test-timeout=300000 'src/**/*.test.ts' 'test/**/*.test.ts'
