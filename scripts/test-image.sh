#!/bin/sh
# The container image tier (npm run test:image; a step of npm test): test/container-image/ builds the image from the
# Dockerfile as written (scripts/image.sh: buildah; stand-in bases, made once per machine into .cache/image/, where
# the real ones cannot be pulled), pushes it to a real registry, has the guard judge it, reads its filesystem and
# runs it with runc as the Deployment asks, against a real control plane. Needs root. Installs its tools with apt-get
# when missing (scripts/image/tools.sh) and fails, never skips, when they cannot be had.
set -eu
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
sh scripts/image/tools.sh
# Builds the control plane on first use (11-14 minutes on 2 cores); npm test has built it by the time it gets here.
sh scripts/control-plane.sh >/dev/null
PATH="$PWD/node_modules/.bin:$PATH"
export PATH
node --import tsx --test --test-concurrency=1 --test-timeout=3600000 'test/container-image/**/*.test.ts'
