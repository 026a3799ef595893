#!/usr/bin/env bash
# The web UI's end-to-end test drives Debian's Chromium (test/e2e/web-ui.test.ts); install it when
# missing (as root), or point CHROMIUM_PATH at another build.
set -euo pipefail
[ -n "${CHROMIUM_PATH:-}" ] && exit 0
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" != 0 ]; then echo "ensure-chromium: /usr/bin/chromium missing; install Debian's chromium or set CHROMIUM_PATH" >&2; exit 1; fi
echo "ensure-chromium: installing Debian's chromium"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
