# Building a Go module's binaries once per machine into .cache/<tool>/<key>/, sourced by scripts/helm.sh,
# scripts/promql-check.sh and scripts/control-plane.sh. The caller sets `tool` (its name in messages) and `moddir`
# (the Go module) first, then:
#   go_tool_need_go WHAT [INSTEAD]   go >= 1.26 on PATH, or an error naming what needs it; sets goversion
#   go_tool_lock CACHE SECONDS       one build at a time per machine (waits at most SECONDS for another)
#   go_tool_start CACHE KEY          a temporary folder $tmp in CACHE, removed if the script stops before go_tool_done
#   go_tool_build NAME PKG LDFLAGS   go build of PKG into $tmp/NAME, with progress; its output shown only if it fails
#   go_tool_done DEST                $tmp renamed to DEST, so an interrupted build leaves no half-filled folder behind
# Progress and errors go to standard error; standard output is left to the caller (the path, as its last line).

say() { printf '%s: %s\n' "$tool" "$*" >&2; }
die() { printf '%s: error: %s\n' "$tool" "$*" >&2; exit 1; }
elapsed() { echo "$(( $(date +%s) - $1 ))s"; }

go_tool_need_go() {
  command -v go >/dev/null 2>&1 || die "go is not installed (or not on PATH); building $1 needs go >= 1.26 (https://go.dev/dl/)${2:+, or $2}"
  goversion=$(go env GOVERSION 2>/dev/null || true)
  case "$goversion" in
    go1.*) ;;
    *) die "cannot tell the version of $(command -v go) (go env GOVERSION said '$goversion'); need go >= 1.26" ;;
  esac
  gt_minor=$(printf '%s' "${goversion#go1.}" | sed 's/[^0-9].*//')
  [ -n "$gt_minor" ] && [ "$gt_minor" -ge 26 ] || die "$(command -v go) is $goversion; building $1 needs go >= 1.26"
}

# flock from util-linux, on a descriptor of this shell so that signals reach the script and not a wrapper. A second
# caller waits for the first, then should find the build done (the caller checks again).
go_tool_lock() {
  mkdir -p "$1"
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$1/.lock"
  if ! flock -n 9; then
    say "another build holds $1/.lock: waiting for it (at most $(( $2 / 60 )) minutes)"
    flock -w "$2" 9 || die "still locked after $(( $2 / 60 )) minutes: $1/.lock"
  fi
  # Holding the lock, no build runs: a leftover temp folder is from a build that was killed outright.
  rm -rf "$1"/.building-*
}

go_tool_start() {
  tmp=$(mktemp -d "$1/.building-$2.XXXXXX")
  buildpid=""
  trap go_tool_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

go_tool_cleanup() {
  if [ -n "$buildpid" ]; then kill "$buildpid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}

# Run in the background so that an interrupt kills the build (go_tool_cleanup) and a line every 30 s shows it lives.
go_tool_build() {
  gt_start=$(date +%s)
  (cd "$moddir" && CGO_ENABLED=0 exec go build -trimpath -ldflags "$3" -o "$tmp/$1" "$2") >"$tmp/$1.log" 2>&1 &
  buildpid=$!
  gt_ticks=0
  while kill -0 "$buildpid" 2>/dev/null; do
    sleep 1
    gt_ticks=$((gt_ticks + 1))
    if [ $((gt_ticks % 30)) -eq 0 ]; then say "still building $1: $(elapsed "$gt_start")"; fi
  done
  gt_status=0
  wait "$buildpid" || gt_status=$?
  buildpid=""
  if [ "$gt_status" -ne 0 ]; then
    tail -n 40 "$tmp/$1.log" >&2
    die "go build of $1 failed (exit $gt_status); the lines above are the end of its output"
  fi
  rm -f "$tmp/$1.log"
}

go_tool_done() {
  chmod 755 "$tmp"
  rm -rf "$1"
  mv "$tmp" "$1"
  trap - EXIT
}
