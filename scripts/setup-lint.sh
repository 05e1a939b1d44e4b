#!/usr/bin/env bash
# Brings up the linters the unit tests run: Debian's shellcheck, which checks
# the image's start program (image/vnetlab-start) and the shell scripts here.
# Idempotent: with shellcheck present it only reports its version.
set -euo pipefail

log() { printf '[setup-lint] %s\n' "$*" >&2; }

if ! command -v shellcheck >/dev/null 2>&1; then
  log "installing shellcheck"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
fi
shellcheck --version >/dev/null 2>&1 || { log "shellcheck does not run"; exit 1; }
log "shellcheck $(shellcheck --version | sed -n 's/^version: //p')"
