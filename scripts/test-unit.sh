#!/bin/sh
# The pure tier alone (npm run test:unit): no network, no socket, no child process, no Debian package; seconds.
# Its files are the tests beside their code (src/**/*.test.ts) and the pure tests that share test builders
# (test/unit/, laid out as src/ is); test/unit/architecture.test.ts keeps both free of servers and processes.
set -eu
cd "$(dirname "$0")/.."
PATH="$PWD/node_modules/.bin:$PATH"
export PATH
node --import tsx --test --test-concurrency=2 'src/**/*.test.ts' 'test/unit/**/*.test.ts'
