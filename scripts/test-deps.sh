#!/bin/sh
# Debian packages the tests use: the real OCI registry (docker-registry), real content for test images
# (busybox-static; the rest comes from `apt-get download` in test/support/debian.ts), zstd, htpasswd -B for the
# registry's basic auth (apache2-utils), headless Chromium to render the audit's HTML report
# (test/cli/audit-html.test.ts), and zsh and fish to load the completion scripts (test/cli/completion.test.ts).
# Idempotent and quick when everything is present: it only asks apt when a command is missing.
set -eu
need=""
for pair in docker-registry:docker-registry busybox-static:busybox zstd:zstd apache2-utils:htpasswd chromium:chromium zsh:zsh fish:fish; do
  pkg=${pair%%:*}; bin=${pair#*:}
  command -v "$bin" >/dev/null 2>&1 || need="$need $pkg"
done
if [ -n "$need" ]; then
  echo "installing:$need"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The docker-registry package would start its own service: keep dpkg from starting anything.
  policy=/usr/sbin/policy-rc.d
  created_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; created_policy=1
  fi
  apt-get install -y -qq --no-install-recommends $need >/dev/null
  [ -z "$created_policy" ] || rm -f "$policy"
fi
# `apt-get download` (test/support/debian.ts) needs package lists; a fresh machine may have none.
if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 && ! ls /var/lib/apt/lists/*_Packages.* >/dev/null 2>&1; then
  apt-get update -qq
fi
