#!/usr/bin/env bash
# Brings up the browser the HTML report's end-to-end test drives: Debian's
# chromium (playwright-core, pinned in package.json, downloads no browser of
# its own). Idempotent: with chromium present it only checks that it starts.
set -euo pipefail

CHROMIUM="${VNETLAB_CHROMIUM:-/usr/bin/chromium}"
log() { printf '[setup-browser] %s\n' "$*" >&2; }

if [ ! -x "$CHROMIUM" ]; then
  log "installing chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
"$CHROMIUM" --version >/dev/null 2>&1 || { log "$CHROMIUM does not start"; exit 1; }
log "$("$CHROMIUM" --version 2>/dev/null)"
