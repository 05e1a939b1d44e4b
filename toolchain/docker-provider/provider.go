// Package provider is vnetlab's bridge of the Terraform Docker provider into
// Pulumi: the recipe Pulumi uses for its own bridged providers, applied to the
// upstream that pulumi-docker 5.x wraps for Container, Network, RemoteImage
// and Volume. pulumi-docker's own module is refused by the Go module proxy
// these machines reach; its upstream and Pulumi's bridge are served.
//
// The names are pulumi-docker's, so that the unmodified @pulumi/docker 5.2.0
// SDK from npm talks to this provider. A test (test/unit/docker-schema.test.ts)
// compares the generated schema with that SDK's types.
package provider

import (
	"strings"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	bridgetokens "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"

	// A copy of the upstream with one file added (scripts/setup-pulumi.sh):
	// the provider itself lives in an internal package.
	"github.com/terraform-providers/terraform-provider-docker/shim"
)

const (
	pkg = "docker"
	mod = "index"
	// Where scripts/setup-pulumi.sh puts the upstream copy; tfgen reads the
	// resources' documentation from it.
	upstreamPath = "./upstream/terraform-provider-docker"
)

// resource is pulumi-docker's token for a resource: docker:index/container:Container.
func resource(name string) tokens.Type {
	return tokens.Type(pkg + ":" + mod + "/" + strings.ToLower(name[:1]) + name[1:] + ":" + name)
}

// Provider describes the bridged provider. metadata is the bridge's
// bridge-metadata.json that tfgen wrote beside the schema (nil while tfgen
// itself runs: it writes a new one).
func Provider(version string, metadata []byte) tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:                shimv2.NewProvider(shim.NewProvider(version)),
		Name:             pkg,
		Version:          version,
		Description:      "The Terraform Docker provider, bridged with pulumi-terraform-bridge, under pulumi-docker's names",
		License:          "Apache-2.0 (the bridge), MPL-2.0 (the Terraform Docker provider)",
		Repository:       "https://github.com/kreuzwerker/terraform-provider-docker",
		GitHubOrg:        "kreuzwerker",
		UpstreamRepoPath: upstreamPath,
		Config: map[string]*tfbridge.SchemaInfo{
			// @pulumi/docker's Provider sends registryAuth, a list.
			"registry_auth": {Name: "registryAuth", MaxItemsOne: tfbridge.False()},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			"docker_container": {
				Tok: resource("Container"),
				// A container's name is unique on its engine: a replacement
				// must remove the old one first, as pulumi-docker does.
				DeleteBeforeReplace: true,
				Fields: map[string]*tfbridge.SchemaInfo{
					// One command, several words: not pluralized to "commands".
					"command": {Name: "command"},
					// pulumi-docker keeps the singular name for this list.
					"networks_advanced": {Name: "networksAdvanced"},
				},
			},
			// pulumi-docker's docker.Image is its own native resource;
			// the Terraform docker_image is its RemoteImage.
			"docker_image": {
				Tok:    resource("RemoteImage"),
				Fields: map[string]*tfbridge.SchemaInfo{"name": {Name: "name"}},
			},
			"docker_config":  {Tok: resource("ServiceConfig")},
			"docker_network": {Tok: resource("Network")},
			"docker_volume":  {Tok: resource("Volume")},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"docker_image": {Tok: tokens.ModuleMember(pkg + ":" + mod + "/getRemoteImage:getRemoteImage")},
		},
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
	}
	// Everything not named above, under the bridge's standard names.
	info.MustComputeTokens(bridgetokens.SingleModule("docker_", mod, bridgetokens.MakeStandard(pkg)))
	// Resource names that would otherwise be "<name>-<random>" are given by
	// the program for every resource vnetlab makes; this only keeps the
	// bridge's default for the others.
	info.SetAutonaming(255, "-")
	return info
}
