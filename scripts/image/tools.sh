#!/bin/sh
# The Debian packages the container image is built, unpacked and run with: buildah (builds the Dockerfile without a
# daemon), skopeo (probes and copies images between registries and OCI layouts), umoci (unpacks an image into an
# OCI runtime bundle), runc (runs the bundle), debootstrap (the Debian root filesystem of the node:24-bookworm-slim
# stand-in), docker-registry (serves the stand-in bases to buildah on 127.0.0.1). Installed with apt-get when a
# command is missing, which needs root; fails (never skips) when they cannot be.
set -eu
need=""
for pair in buildah:buildah skopeo:skopeo umoci:umoci runc:runc debootstrap:debootstrap docker-registry:docker-registry; do
  pkg=${pair%%:*}; bin=${pair#*:}
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || need="$need $pkg"
done
[ -n "$need" ] || exit 0
echo "image: installing:$need" >&2
if [ "$(id -u)" != 0 ]; then
  echo "image: installing$need needs root (apt-get); install them and run again" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
flock /tmp/dg-apt-update.lock apt-get update -qq
# The docker-registry package would start its own service: keep dpkg from starting anything (as test-deps.sh does).
policy=/usr/sbin/policy-rc.d
created_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; created_policy=1
fi
# Another apt-get may hold dpkg's lock (other test setup): wait for it rather than fail.
apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 $need >/dev/null
[ -z "$created_policy" ] || rm -f "$policy"
