#!/bin/sh
# npm run image [-- --push REGISTRY/REPOSITORY:TAG] [--tag NAME]
#   --push DEST  push the image: REGISTRY/REPOSITORY:TAG (plain HTTP for 127.0.0.1 and localhost), or
#                docker-archive:FILE (for docker load), oci-archive:FILE, oci:DIR
#   --tag NAME   its name in buildah's storage (default localhost/distroless-guard:VERSION)
#
# Builds the container image from the Dockerfile as written, with buildah (no daemon; vfs storage under
# .cache/image/, DG_IMAGE_STORAGE_DRIVER=overlay for kernel overlayfs), prints its size and layers, and pushes it when
# --push is given. Each base the Dockerfile names is first probed in its real registry; one that cannot be pulled is
# replaced by a stand-in made here (scripts/image/node-base.sh, scripts/image/distroless-base.sh; once per machine,
# kept in .cache/image/bases/), served by a docker-registry on 127.0.0.1 that buildah uses as that base's mirror
# (registries.conf via CONTAINERS_REGISTRIES_CONF): the Dockerfile itself is never changed. What was substituted is
# printed. Needs root: apt-get for the tools (scripts/image/tools.sh), debootstrap, buildah's RUN steps.
set -eu
. "$(dirname "$0")/image/lib.sh"
cd "$ROOT"

push=""
version=$(node -p 'require("./package.json").version')
tag="localhost/distroless-guard:$version"
while [ $# -gt 0 ]; do
  case "$1" in
    --push) push=${2:?--push needs REGISTRY/REPOSITORY:TAG}; shift 2 ;;
    --tag) tag=${2:?--tag needs a name}; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) log "unknown argument $1 (try --help)"; exit 2 ;;
  esac
done
[ -d node_modules/node ] || { log "node_modules/ is missing: run npm ci first"; exit 1; }
# buildah's RUN steps, debootstrap and apt-get all need root; rootless buildah would need subordinate ids set up.
[ "$(id -u)" = 0 ] || { log "building the image needs root (buildah RUN steps, debootstrap, apt-get)"; exit 1; }
sh scripts/image/tools.sh

# One build at a time (the stand-ins, the storage); what a killed build left behind (its working containers) goes.
mkdir -p "$IMAGE_CACHE"
exec 9>"$IMAGE_CACHE/build.lock"
flock 9
bah rm --all >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/dg-image.XXXXXX")
registry_pid=""
cleanup() {
  [ -z "$registry_pid" ] || kill "$registry_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The stand-in script for a base reference, or nothing when there is none for it.
stand_in_script() {
  case "$1" in
    docker.io/library/node:24-bookworm-slim) echo scripts/image/node-base.sh ;;
    gcr.io/distroless/nodejs24-debian12:nonroot) echo scripts/image/distroless-base.sh ;;
  esac
}

# The cached stand-in archive for a base: keyed by what it is made of (its script, Node's and npm's versions),
# so an edit to either makes a new one and an unchanged machine reuses it.
stand_in_archive() {
  script=$(stand_in_script "$1")
  key=$(cat "$script" node_modules/node/package.json | { cat; npm --version; } | sha256sum | cut -c1-16)
  name=$(printf '%s' "$1" | tr '/:' '--')
  archive="$IMAGE_CACHE/bases/$name-$key.oci.tar"
  if [ ! -f "$archive" ]; then
    log "making the stand-in for $1 (once per machine)"
    sh "$script" "$archive"
    find "$IMAGE_CACHE/bases" -name "$name-*.oci.tar" ! -path "$archive" -delete
  fi
  echo "$archive"
}

# A Dockerfile's FROM image as buildah resolves it: "node:24" is docker.io/library/node:24 (the short-name alias
# containers-common ships and docker's own rule); stage names (FROM build) are not images.
stages=" $(sed -n 's/^FROM[[:space:]].*[[:space:]][Aa][Ss][[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' Dockerfile | tr '\n' ' ')"
bases=$(sed -n 's/^FROM[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' Dockerfile | sort -u | while read -r ref; do
  case "$stages" in *" $ref "*) continue ;; esac
  case "$ref" in
    */*/*|*.*/*|localhost/*) echo "$ref" ;;
    */*) echo "docker.io/$ref" ;;
    *) echo "docker.io/library/$ref" ;;
  esac
done)

registries_conf="$work/registries.conf"
printf 'unqualified-search-registries = ["docker.io"]\nshort-name-mode = "permissive"\n' >"$registries_conf"
substituted=""
for base in $bases; do
  # A short timeout: where a registry is blocked the connection hangs rather than fails.
  if timeout 20 skopeo inspect --raw --retry-times 0 "docker://$base" >/dev/null 2>"$work/probe.log"; then
    log "base $base: pulled from its registry"
    continue
  fi
  log "base $base: $(tail -n 1 "$work/probe.log" | sed 's/.*pinging container registry /registry /; s/\\"/"/g; s/"$//' | cut -c1-160)"
  [ -s "$work/probe.log" ] || log "base $base: no answer within 20 s"

  script=$(stand_in_script "$base")
  [ -n "$script" ] || { log "base $base cannot be pulled and has no stand-in (scripts/image/)"; exit 1; }
  if [ -z "$registry_pid" ]; then
    port=$(free_port)
    mkdir -p "$work/registry"
    printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
      "$work/registry" "$port" >"$work/registry.yml"
    # The registry reads REGISTRY_* from its environment over its config: keep the caller's out.
    # It dies with this script (--pdeathsig) and does not hold the build lock (9>&-).
    env $(env | sed -n 's/^\(REGISTRY_[A-Za-z0-9_]*\)=.*/-u \1/p') setpriv --pdeathsig KILL docker-registry serve "$work/registry.yml" \
      2>"$work/registry.log" 9>&- &
    registry_pid=$!
    wait_registry "127.0.0.1:$port" || { cat "$work/registry.log" >&2; exit 1; }
  fi
  archive=$(stand_in_archive "$base")
  repository=${base%:*}
  path=${repository#*/}
  skopeo copy --quiet --dest-tls-verify=false "oci-archive:$archive" "docker://127.0.0.1:$port/$path:${base##*:}"
  printf '[[registry]]\nprefix = "%s"\nlocation = "%s"\n[[registry.mirror]]\nlocation = "127.0.0.1:%s/%s"\ninsecure = true\n' \
    "$repository" "$repository" "$port" "$path" >>"$registries_conf"
  substituted="$substituted $base"
  log "base $base: cannot be pulled here; substituted by the stand-in $(basename "$archive") ($script)"
done
export CONTAINERS_REGISTRIES_CONF="$registries_conf"

# What the RUN steps get from this machine, none of it committed: npm's download cache (kept in .cache/image/npm, as
# BuildKit's cache mounts would), and the machine's CA bundle for npm, for networks whose HTTPS goes through a proxy
# with its own CA (the node base trusts only Node's built-in roots).
mkdir -p "$IMAGE_CACHE/npm"
printf 'update-notifier=false\nfund=false\naudit=false\n' >"$work/npmrc"
set -- -v "$IMAGE_CACHE/npm:/root/.npm" -v "$work/npmrc:/root/.npmrc:ro"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  printf 'cafile=/run/host-ca-certificates.crt\n' >>"$work/npmrc"
  set -- "$@" -v /etc/ssl/certs/ca-certificates.crt:/run/host-ca-certificates.crt:ro
fi

log "buildah build -t $tag (Dockerfile as written)"
started=$(date +%s)
# --network host: the build stage's npm ci reads the npm registry (no CNI network is set up for RUN steps).
# --layers: one layer per instruction, as docker build makes them (without it buildah squashes each stage into one
# layer). --no-cache: buildah 1.28's layer cache missed steps it had made (two stages sharing their first steps), and
# with vfs a cached step costs about what running it again does (npm ci from the npm cache above, tsc in seconds).
# --jobs 2: the build and deps stages at once.
bah build --layers --no-cache --jobs 2 --force-rm --network host "$@" -f Dockerfile -t "$tag" . >&2
log "built $tag in $(( $(date +%s) - started )) s with the $IMAGE_STORAGE_DRIVER storage driver"
# The intermediate images and the previous build of the tag, now nameless: with vfs each is gigabytes.
bah rmi --prune >/dev/null 2>&1 || true
[ -z "$substituted" ] || log "substituted bases:$substituted"

bah inspect --type image "$tag" >"$work/inspect.json"
node --import tsx scripts/image/describe.ts "$work/inspect.json"

if [ -n "$push" ]; then
  # REGISTRY/REPOSITORY:TAG, or any destination buildah push takes (docker-archive:FILE for `docker load`,
  # oci-archive:FILE, oci:DIR, docker://...).
  case "$push" in
    docker://*|docker-archive:*|oci:*|oci-archive:*|dir:*) destination=$push ;;
    *) destination=docker://$push ;;
  esac
  tls=""
  ! is_loopback_ref "${destination#docker://}" || tls="--tls-verify=false"
  bah push --quiet $tls --digestfile "$work/digest" "$tag" "$destination"
  echo "pushed $push@$(cat "$work/digest")"
fi
