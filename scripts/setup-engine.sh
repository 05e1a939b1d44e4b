#!/usr/bin/env bash
# Brings up what the e2e tests need on a bare Debian machine: a Docker engine
# and the offline base image the node Dockerfile builds FROM. Idempotent: the
# second run only checks. A user with a working Docker needs none of this.
set -euo pipefail

BASE_IMAGE="${VNETLAB_BASE_IMAGE:-debian:trixie-slim}"
SUITE="${VNETLAB_BASE_SUITE:-trixie}"
log() { printf '[setup-engine] %s\n' "$*" >&2; }

need_pkgs=()
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need_pkgs+=(debootstrap)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  # setsid: the engine must outlive the shell that started it (CI runs the
  # tests from a later step), and its logs must not interleave with test output.
  setsid dockerd >/var/log/vnetlab-dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { log "dockerd did not come up; see /var/log/vnetlab-dockerd.log"; exit 1; }
fi

if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  mirror="${VNETLAB_DEBIAN_MIRROR:-}"
  if [ -z "$mirror" ]; then
    # The machine's own apt source is the only mirror reachable offline.
    mirror=$(grep -h -m1 '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | head -n1 || true)
  fi
  if [ -z "$mirror" ]; then
    mirror=$(grep -h -m1 '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' || true)
  fi
  [ -n "$mirror" ] || { log "no Debian mirror found in apt sources; set VNETLAB_DEBIAN_MIRROR"; exit 1; }
  root=$(mktemp -d /var/tmp/vnetlab-rootfs.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  log "debootstrap $SUITE (about a minute)"
  debootstrap --variant=minbase "$SUITE" "$root" "$mirror" >/var/log/vnetlab-debootstrap.log 2>&1 \
    || { log "debootstrap failed; see /var/log/vnetlab-debootstrap.log"; exit 1; }
  tar -C "$root" -c . | docker import - "$BASE_IMAGE" >/dev/null
  log "imported $BASE_IMAGE"
fi
log "engine ready: $(docker version --format '{{.Server.Version}}') with $BASE_IMAGE"
