#!/usr/bin/env bash
# Builds the real Pulumi toolchain from Go modules, the only route to it from
# machines whose sole way out is the package registries (Pulumi's installers
# download from GitHub):
#   pulumi                          the CLI, pkg/v3 v3.248.0          (toolchain/cli)
#   pulumi-language-nodejs          the Node.js language host         (toolchain/nodejs-host)
#   pulumi-resource-docker          the Terraform Docker provider through
#                                   Pulumi's bridge, under pulumi-docker's
#                                   names, version 5.2.0              (toolchain/docker-provider)
#   pulumi-resource-pulumi-nodejs   the launcher of Node dynamic providers
#                                   (vnetlab's veth parents), from sdk/v3 v3.60.0
# Each is cached by its version and a hash of the module that builds it, under
# $VNETLAB_HOME/toolchain (default ~/.vnetlab), so a second run only checks;
# $VNETLAB_HOME/bin then points at the current CLI and language host, and the
# provider is installed as a plugin under $VNETLAB_HOME/pulumi. Every step
# prints its duration. A machine with Pulumi installed the usual way needs none
# of this (see README).
set -euo pipefail
# The builds run inside $(ensure ...): without this, bash drops -e there, and a
# failed step went on to the next and marked the build complete.
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
PROJECT_DIR=$PWD

VNETLAB_HOME=${VNETLAB_HOME:-$HOME/.vnetlab}
CACHE=$VNETLAB_HOME/toolchain
BIN=$VNETLAB_HOME/bin
SHARE=$VNETLAB_HOME/share

PULUMI_VERSION=v3.248.0
# The last sdk/v3 release that still carries nodejs/cmd/pulumi-language-nodejs;
# the language host's own module is refused by the proxy.
NODEJS_HOST_SDK=v3.60.0
DOCKER_PROVIDER_VERSION=5.2.0
# The Terraform Docker provider is served only under its GitHub path, at
# master after v4.6.0; its go.mod calls it github.com/terraform-providers/….
TF_DOCKER_MODULE=github.com/kreuzwerker/terraform-provider-docker
TF_DOCKER_VERSION=v0.0.0-20260916201441-96d331c98ff4
# Pulumi's fork of terraform-plugin-sdk, at the pseudo-version that
# pulumi-terraform-bridge v3.120.0 replaces it with (its version list is refused).
TF_SDK_MODULE=github.com/pulumi/terraform-plugin-sdk/v2
TF_SDK_VERSION=v2.0.0-20250923233607-7f1981c8674a

run_started=$SECONDS
log() { printf '[setup-pulumi] %s\n' "$*" >&2; }
step() {
  local name=$1 t0=$SECONDS
  shift
  log "$name ..."
  "$@"
  log "$name: done in $((SECONDS - t0))s"
}

command -v go >/dev/null 2>&1 || { log "Go is needed to build the Pulumi toolchain (go 1.25 or newer)"; exit 1; }

# The build cache key of a module folder: every file git would track there,
# this script, and the Go version.
module_hash() {
  { (cd "$1" && find . -path ./upstream -prune -o -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print | LC_ALL=C sort | xargs sha256sum)
    sha256sum "$PROJECT_DIR/scripts/setup-pulumi.sh"
    go env GOVERSION; } | sha256sum | cut -c1-12
}

# Where a module version lies in the module cache (downloaded if need be).
module_dir() {
  (cd "$(mktemp -d)" && go mod download -json "$1@$2" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
}

build_cli() {
  (cd toolchain/cli && go build -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    -o "$1/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
}

build_nodejs_host() {
  (cd toolchain/nodejs-host && go build -trimpath -ldflags "-s -w" \
    -o "$1/pulumi-language-nodejs" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs)
  # The dynamic-provider launcher is a shell script of the same SDK release.
  local sdk
  sdk=$(module_dir github.com/pulumi/pulumi/sdk/v3 "$NODEJS_HOST_SDK")
  install -m 0755 "$sdk/nodejs/dist/pulumi-resource-pulumi-nodejs" "$1/pulumi-resource-pulumi-nodejs"
}

# The two upstream copies that toolchain/docker-provider/go.mod replaces,
# each made afresh from the module cache with one file added.
prepare_upstream() {
  local up=toolchain/docker-provider/upstream src
  rm -rf "$up"
  mkdir -p "$up"

  src=$(module_dir "$TF_DOCKER_MODULE" "$TF_DOCKER_VERSION")
  cp -r "$src" "$up/terraform-provider-docker"
  # Patch 1: the provider is in internal/provider, which no other module may
  # import; the bridge needs its *schema.Provider. (pulumi-docker keeps the
  # same shim in its own fork of the upstream.)
  mkdir -p "$up/terraform-provider-docker/shim"
  cat >"$up/terraform-provider-docker/shim/shim.go" <<'EOF'
// Package shim exports the Terraform Docker provider to Pulumi's bridge.
// Added by vnetlab's scripts/setup-pulumi.sh at build time.
package shim

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

func NewProvider(version string) *schema.Provider { return provider.New(version)() }
EOF

  # Patch 3, for speed only (the build does not need it): before its first
  # look at a network it created, reads or removes, the provider waits 2 s
  # (the Delay of its StateChangeConf), for a swarm's overlay network, whose
  # options show late. A local network is whole once Docker has answered: the
  # wait went into every boot, refresh and teardown of a lab. Overlay networks
  # wait as before.
  local funcs="$up/terraform-provider-docker/internal/provider/resource_docker_network_funcs.go"
  sed -i -e 's/^\(\t\tDelay: *\)\(networkReadRefreshDelay\|networkRemoveRefreshDelay\),$/\1vnetlabNetworkDelay(d, \2),/' "$funcs"
  if [ "$(grep -c 'vnetlabNetworkDelay(d, network\(Read\|Remove\)RefreshDelay),' "$funcs")" != 2 ]; then
    log "patch 3: $funcs no longer has the two network delays it changes"
    return 1
  fi
  cat >"$up/terraform-provider-docker/internal/provider/vnetlab_network_delay.go" <<'EOF'
// Added by vnetlab's scripts/setup-pulumi.sh at build time.
package provider

import (
	"time"

	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
)

// vnetlabNetworkDelay is the wait before the first look at a network:
// upstream's for a swarm's overlay network, none for a local one.
func vnetlabNetworkDelay(d *schema.ResourceData, upstream time.Duration) time.Duration {
	if d.Get("driver").(string) == "overlay" {
		return upstream
	}
	return 0
}
EOF

  src=$(module_dir "$TF_SDK_MODULE" "$TF_SDK_VERSION")
  cp -r "$src" "$up/terraform-plugin-sdk"
  # Patch 2: the Docker provider needs terraform-plugin-go v0.31, whose
  # tfprotov5.ProviderServer has GenerateResourceConfig (Terraform's config
  # generation for imports); Pulumi's fork was written against v0.29 and lacks
  # it. Pulumi never calls it: answer with an error diagnostic.
  cat >"$up/terraform-plugin-sdk/helper/schema/grpc_provider_generate_resource_config.go" <<'EOF'
// Added by vnetlab's scripts/setup-pulumi.sh at build time.
package schema

import (
	"context"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
)

func (s *GRPCProviderServer) GenerateResourceConfig(_ context.Context, _ *tfprotov5.GenerateResourceConfigRequest) (*tfprotov5.GenerateResourceConfigResponse, error) {
	return &tfprotov5.GenerateResourceConfigResponse{Diagnostics: []*tfprotov5.Diagnostic{{
		Severity: tfprotov5.DiagnosticSeverityError,
		Summary:  "GenerateResourceConfig is not supported by this build of terraform-plugin-sdk",
	}}}, nil
}
EOF
  chmod -R u+w "$up"
}

build_docker_provider() {
  local out=$1 tfgen
  tfgen=$(mktemp -d)
  step "docker provider: upstream copies" prepare_upstream
  # -tags no_compose: leaves out the docker_compose resource and its large
  # dependency tree, which pulumi-docker does not have either.
  step "docker provider: build pulumi-tfgen-docker" \
    bash -c "cd toolchain/docker-provider && go build -trimpath -tags no_compose -ldflags '-X main.version=$DOCKER_PROVIDER_VERSION' -o '$tfgen/pulumi-tfgen-docker' ./cmd/pulumi-tfgen-docker"
  step "docker provider: generate schema" \
    bash -c "cd toolchain/docker-provider && '$tfgen/pulumi-tfgen-docker' schema --skip-examples --out cmd/pulumi-resource-docker >'$tfgen/tfgen.log' 2>&1 || { cat '$tfgen/tfgen.log' >&2; exit 1; }"
  step "docker provider: build pulumi-resource-docker" \
    bash -c "cd toolchain/docker-provider && go build -trimpath -tags no_compose -ldflags '-s -w -X main.version=$DOCKER_PROVIDER_VERSION' -o '$out/pulumi-resource-docker' ./cmd/pulumi-resource-docker"
  cp toolchain/docker-provider/cmd/pulumi-resource-docker/schema.json "$out/schema.json"
  rm -rf "$tfgen"
}

# ensure NAME VERSION MODULE_DIR BUILD_FUNCTION: builds into the cache unless
# that exact build is there; prints the folder that holds it.
ensure() {
  local name=$1 version=$2 dir=$3 build=$4 key target
  key=$(module_hash "$dir")
  target=$CACHE/$name-$version-$key
  if [ -f "$target/.complete" ]; then
    log "$name $version: cached ($target)"
  else
    rm -rf "$target.partial"
    mkdir -p "$target.partial"
    step "$name $version: build" "$build" "$target.partial" >&2
    touch "$target.partial/.complete"
    rm -rf "$target"
    mv "$target.partial" "$target"
  fi
  touch "$target"
  # Builds of other keys serve other checkouts; the three used last are kept.
  # shellcheck disable=SC2012,SC2010 # the names are ours: no newlines
  ls -dt "$CACHE/$name-$version"-* 2>/dev/null | grep -v '\.partial$' | tail -n +4 | xargs -r rm -rf
  echo "$target"
}

cli=$(ensure pulumi "$PULUMI_VERSION" toolchain/cli build_cli)
host=$(ensure pulumi-language-nodejs "$NODEJS_HOST_SDK" toolchain/nodejs-host build_nodejs_host)
provider=$(ensure pulumi-resource-docker "$DOCKER_PROVIDER_VERSION" toolchain/docker-provider build_docker_provider)

# The CLI finds its language host and the dynamic-provider launcher beside
# itself or on PATH, and resource providers in its plugin folder: installed
# there, `pulumi plugin ls` lists the Docker provider. PULUMI_HOME is vnetlab's
# own, so an official Pulumi install and its docker plugin stay untouched.
export PULUMI_HOME=$VNETLAB_HOME/pulumi PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
mkdir -p "$BIN" "$SHARE" "$PULUMI_HOME"
# Hard links, not symlinks: the CLI looks for the language host beside the
# file it was started as, and warns on every run when it finds it on PATH.
for f in "$cli/pulumi" "$host/pulumi-language-nodejs" "$host/pulumi-resource-pulumi-nodejs"; do
  ln -f "$f" "$BIN/$(basename "$f")" 2>/dev/null || cp -f "$f" "$BIN/$(basename "$f")"
done
ln -sfn "$provider/schema.json" "$SHARE/pulumi-resource-docker-schema.json"
installed=$PULUMI_HOME/plugins/resource-docker-v$DOCKER_PROVIDER_VERSION/.vnetlab-build
if [ "$(cat "$installed" 2>/dev/null)" != "$provider" ]; then
  step "plugin install resource docker $DOCKER_PROVIDER_VERSION" \
    "$BIN/pulumi" plugin install resource docker "$DOCKER_PROVIDER_VERSION" --file "$provider/pulumi-resource-docker" --reinstall
  echo "$provider" >"$installed"
fi

# Stack secrets are encrypted with a passphrase of this machine's own, unless
# PULUMI_CONFIG_PASSPHRASE(_FILE) says otherwise.
if [ ! -s "$VNETLAB_HOME/passphrase" ]; then
  (umask 077 && head -c 32 /dev/urandom | base64 >"$VNETLAB_HOME/passphrase")
  log "new stack passphrase in $VNETLAB_HOME/passphrase (keep it: it decrypts your stacks' secrets)"
fi
# For the pulumi CLI by hand: `source ~/.vnetlab/env`.
cat >"$VNETLAB_HOME/env" <<ENV
export PATH="$BIN:\$PATH"
export PULUMI_HOME="$PULUMI_HOME"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
[ -n "\${PULUMI_CONFIG_PASSPHRASE:-}" ] || export PULUMI_CONFIG_PASSPHRASE_FILE="$VNETLAB_HOME/passphrase"
ENV

"$BIN/pulumi" plugin ls 2>&1 | sed 's/^/[setup-pulumi]   /' >&2
log "$("$BIN/pulumi" version) in $BIN"
log "disk: toolchain cache $(du -sh "$CACHE" 2>/dev/null | cut -f1), Go module cache $(du -sh "$(go env GOMODCACHE)" 2>/dev/null | cut -f1), Go build cache $(du -sh "$(go env GOCACHE)" 2>/dev/null | cut -f1)"
log "ready in $((SECONDS - run_started))s; for the pulumi CLI by hand: source $VNETLAB_HOME/env"
