// pulumi-resource-docker is the Docker resource provider plugin that the
// Pulumi engine starts. Its schema and bridge metadata are what
// pulumi-tfgen-docker generated from the same ProviderInfo.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	provider "vnetlab.dev/toolchain/docker-provider"
)

// Set with -ldflags -X by scripts/setup-pulumi.sh: the version that the
// @pulumi/docker SDK asks the engine for.
var version = "5.2.0"

//go:embed schema.json
var schema []byte

//go:embed bridge-metadata.json
var metadata []byte

func main() {
	tfbridge.Main("docker", version, provider.Provider(version, metadata), schema)
}
