#!/bin/sh
# The stand-in for docker.io/library/node:24-bookworm-slim, for machines that cannot pull it (scripts/image.sh uses
# it only then): what the official image is, a Debian bookworm root filesystem (debootstrap --variant=minbase: apt,
# dpkg, a shell, coreutils) with Node 24 at /usr/local/bin/node and npm in /usr/local/lib/node_modules/npm. Node is
# the project's own (the `node` npm package's real binary, an official nodejs.org build); npm is the release the
# machine runs, from the npm registry. Writes an OCI archive to $1. Needs root (debootstrap).
# Usage: sh scripts/image/node-base.sh OUT.oci.tar
set -eu
. "$(dirname "$0")/lib.sh"
out=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/dg-node-base.XXXXXX")
ctr=""
cleanup() {
  [ -z "$ctr" ] || bah rm "$ctr" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

node_bin=$(readlink -f "$ROOT/node_modules/node/bin/node")
node_version=$("$node_bin" --version)
case "$node_version" in v24.*) ;; *) log "node_modules/node is $node_version, not Node 24: run npm ci"; exit 1 ;; esac
npm_version=$(npm --version)

rootfs=$work/rootfs
log "node base: debootstrap --variant=minbase bookworm (a few minutes)"
if ! debootstrap --variant=minbase bookworm "$rootfs" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$work/debootstrap.log" 2>&1; then
  tail -20 "$work/debootstrap.log" >&2
  exit 1
fi
# As the official slim images: no package lists nor downloaded packages left in the image.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/* "$rootfs"/dev/*

install -D -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
(cd "$work" && npm pack --silent "npm@$npm_version" >/dev/null)
mkdir -p "$rootfs/usr/local/lib/node_modules"
tar -xzf "$work/npm-$npm_version.tgz" -C "$rootfs/usr/local/lib/node_modules" --no-same-owner
mv "$rootfs/usr/local/lib/node_modules/package" "$rootfs/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
# The official image's user for unprivileged builds.
chroot "$rootfs" groupadd --gid 1000 node
chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

tar --numeric-owner -C "$rootfs" -cf "$work/rootfs.tar" .
ctr=$(bah from scratch)
bah add --quiet "$ctr" "$work/rootfs.tar" /
bah config --os linux --arch amd64 --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env "NODE_VERSION=${node_version#v}" --cmd node \
  --created-by "debootstrap --variant=minbase bookworm; node ${node_version#v}, npm $npm_version (distroless-guard stand-in)" \
  --label "io.distroless-guard.stand-in=docker.io/library/node:24-bookworm-slim" "$ctr"
bah commit --quiet --rm --disable-compression=false "$ctr" "oci-archive:$work/image.tar" >/dev/null
ctr=""
mkdir -p "$(dirname "$out")"
mv "$work/image.tar" "$out"
log "node base: $out (node $node_version, npm $npm_version)"
