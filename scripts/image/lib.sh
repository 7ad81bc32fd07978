# Shared by scripts/image.sh and scripts/image/*.sh (sourced, not run): where the image build keeps its state and
# how buildah is called. Everything lives under .cache/image/ (git-ignored): the stand-in bases as OCI archives
# (bases/), the Debian packages they are made of (debs/), npm's download cache for the build's RUN steps (npm/) and
# buildah's own storage (containers/<driver>/: the pulled bases and the last image built).
ROOT=$(cd "$(dirname "$0")" && while [ ! -f package.json ] && [ "$PWD" != / ]; do cd ..; done && pwd)
IMAGE_CACHE=${DG_IMAGE_CACHE:-$ROOT/.cache/image}
PATH="$ROOT/node_modules/.bin:$PATH"
export PATH

# buildah without a daemon. Its storage driver is vfs unless DG_IMAGE_STORAGE_DRIVER says otherwise: vfs copies
# every layer in full (slower, several GB on disk during a build) but works wherever root does, in a VM or inside a
# container without overlay mounts; `overlay` (kernel overlayfs, as root) is faster where it can be mounted.
IMAGE_STORAGE_DRIVER=${DG_IMAGE_STORAGE_DRIVER:-vfs}
bah() {
  buildah --root "$IMAGE_CACHE/containers/$IMAGE_STORAGE_DRIVER" --runroot "$IMAGE_CACHE/containers/run-$IMAGE_STORAGE_DRIVER" \
    --storage-driver "$IMAGE_STORAGE_DRIVER" "$@"
}

log() {
  printf 'image: %s\n' "$*" >&2
}

# A free TCP port on 127.0.0.1 (docker-registry cannot be told to pick one and report it).
free_port() {
  node -e 'const s=require("node:net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Waits until http://$1/v2/ answers (a registry that just started), at most 10 s.
wait_registry() {
  node -e '
    const deadline = Date.now() + 10_000;
    const probe = () => fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => {
      if (Date.now() > deadline) process.exit(1);
      setTimeout(probe, 100);
    });
    probe();' "http://$1/v2/" || { log "registry at $1 did not answer within 10 s"; return 1; }
}

# True when a reference's registry is a loopback address (plain HTTP, as docker-registry serves in tests).
is_loopback_ref() {
  case "$1" in
    127.*|localhost/*|localhost:*|\[::1\]*) return 0 ;;
    *) return 1 ;;
  esac
}
