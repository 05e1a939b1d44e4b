// pulumi-tfgen-docker writes the bridged provider's Pulumi schema and the
// bridge's metadata (scripts/setup-pulumi.sh runs it), which
// pulumi-resource-docker then embeds.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"

	provider "vnetlab.dev/toolchain/docker-provider"
)

// Set with -ldflags -X by scripts/setup-pulumi.sh.
var version = "5.2.0"

func main() {
	tfgen.Main("docker", version, provider.Provider(version, nil))
}
