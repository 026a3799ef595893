#!/usr/bin/env bash
# Debian binaries the end-to-end tests drive: Chromium for the web UI (test/e2e/web-ui.test.ts),
# nginx running the repo's config (test/e2e/nginx-proxy.test.ts) and nft for the flaky-network
# chaos suite's packet loss and blackholes (test/chaos/flaky-network.test.ts, which also installs it
# itself). Installs each when missing (as root), unless CHROMIUM_PATH / NGINX_PATH / NFT_PATH points
# at another build.
set -euo pipefail

ensure() { # <override variable> <binary> <Debian package>
  [ -n "${!1:-}" ] && return 0
  [ -x "$2" ] && return 0
  if [ "$(id -u)" != 0 ]; then echo "ensure-test-binaries: $2 missing; install Debian's $3 or set $1" >&2; exit 1; fi
  echo "ensure-test-binaries: installing Debian's $3"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$3" >/dev/null
}

ensure CHROMIUM_PATH /usr/bin/chromium chromium
ensure NGINX_PATH /usr/sbin/nginx nginx
ensure NFT_PATH /usr/sbin/nft nftables
