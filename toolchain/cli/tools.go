//go:build tools

// Package tools pins the Pulumi CLI's main package, so that `go build
// github.com/pulumi/pulumi/pkg/v3/cmd/pulumi` builds it at the version go.mod
// requires.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
