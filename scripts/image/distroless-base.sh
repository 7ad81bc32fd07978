#!/bin/sh
# The stand-in for gcr.io/distroless/nodejs24-debian12:nonroot, for machines that cannot pull it (scripts/image.sh
# uses it only then), assembled the way distroless assembles its images: the files of Debian 12 packages unpacked
# with `dpkg-deb -x`, never installed (no maintainer script runs, there is no dpkg nor shell to run one), each
# package's control fields in /var/lib/dpkg/status.d/<package> (a database for scanners, not a package manager), the
# CA bundle that update-ca-certificates would have made, /etc/passwd and /etc/group with root, nonroot (65532) and
# nobody, /home/nonroot, /tmp (1777), /etc/os-release saying "Distroless", Node 24 at /nodejs/bin/node (the project's
# own, from the `node` npm package), user 65532. Writes an OCI archive to $1.
# Usage: sh scripts/image/distroless-base.sh OUT.oci.tar
set -eu
. "$(dirname "$0")/lib.sh"
out=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/dg-distroless-base.XXXXXX")
ctr=""
cleanup() {
  [ -z "$ctr" ] || bah rm "$ctr" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# distroless's cc image (libc6, libgcc-s1, libstdc++6, libssl3) plus what its base adds (ca-certificates, tzdata,
# netbase) and zlib1g, as nodejs images carry.
packages="libc6 libgcc-s1 libstdc++6 libssl3 zlib1g ca-certificates tzdata netbase"
node_bin=$(readlink -f "$ROOT/node_modules/node/bin/node")
node_version=$("$node_bin" --version)
case "$node_version" in v24.*) ;; *) log "node_modules/node is $node_version, not Node 24: run npm ci"; exit 1 ;; esac

debs=$IMAGE_CACHE/debs
mkdir -p "$debs"
missing=""
for pkg in $packages; do
  ls "$debs/${pkg}_"*.deb >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  log "distroless base: apt-get download$missing"
  # No package lists yet (a fresh machine) or stale ones: refresh once, serialised with other apt-get users.
  (cd "$work" && apt-get download -qq $missing 2>/dev/null) || {
    flock /tmp/dg-apt-update.lock apt-get update -qq
    (cd "$work" && apt-get download -qq $missing)
  }
  mv "$work"/*.deb "$debs/"
fi

rootfs=$work/rootfs
mkdir -p "$rootfs/var/lib/dpkg/status.d"
for pkg in $packages; do
  deb=$(ls "$debs/${pkg}_"*.deb | head -n 1)
  dpkg-deb -x "$deb" "$rootfs"
  dpkg-deb -f "$deb" >"$rootfs/var/lib/dpkg/status.d/$pkg"
done
# update-ca-certificates (a maintainer script's job) concatenates the enabled certificates; distroless ships only
# the result, without the script.
find "$rootfs/usr/share/ca-certificates" -name '*.crt' | sort | xargs cat >"$work/ca-certificates.crt"
install -D -m 0644 "$work/ca-certificates.crt" "$rootfs/etc/ssl/certs/ca-certificates.crt"
rm -f "$rootfs/usr/sbin/update-ca-certificates"
rm -rf "$rootfs/usr/share/doc" "$rootfs/usr/share/man" "$rootfs/usr/share/lintian" "$rootfs/usr/share/bug"

cat >"$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
PASSWD
cat >"$rootfs/etc/group" <<'GROUP'
root:x:0:
nobody:x:65534:
tty:x:5:
staff:x:50:
nonroot:x:65532:
GROUP
cat >"$rootfs/etc/os-release" <<'OSRELEASE'
PRETTY_NAME="Distroless"
NAME="Debian GNU/Linux"
ID="debian"
VERSION_ID="12"
VERSION="Debian GNU/Linux 12 (bookworm)"
HOME_URL="https://github.com/GoogleContainerTools/distroless"
SUPPORT_URL="https://github.com/GoogleContainerTools/distroless/blob/master/README.md"
BUG_REPORT_URL="https://github.com/GoogleContainerTools/distroless/issues/new"
OSRELEASE
printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
install -d -m 0700 "$rootfs/root"
install -d -m 0700 -o 65532 -g 65532 "$rootfs/home/nonroot"
install -d -m 1777 "$rootfs/tmp"
install -D -m 0755 "$node_bin" "$rootfs/nodejs/bin/node"

tar --numeric-owner -C "$rootfs" -cf "$work/rootfs.tar" .
ctr=$(bah from scratch)
bah add --quiet "$ctr" "$work/rootfs.tar" /
bah config --os linux --arch amd64 --user 65532 --workingdir /home/nonroot --entrypoint '["/nodejs/bin/node"]' \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
  --created-by "dpkg-deb -x $packages; passwd, group, os-release; /nodejs/bin/node (distroless-guard stand-in)" \
  --label "io.distroless-guard.stand-in=gcr.io/distroless/nodejs24-debian12:nonroot" "$ctr"
bah commit --quiet --rm --disable-compression=false "$ctr" "oci-archive:$work/image.tar" >/dev/null
ctr=""
mkdir -p "$(dirname "$out")"
mv "$work/image.tar" "$out"
log "distroless base: $out (node $node_version;$(for pkg in $packages; do printf ' %s' "$(basename "$(ls "$debs/${pkg}_"*.deb | head -n 1)" .deb)"; done))"
