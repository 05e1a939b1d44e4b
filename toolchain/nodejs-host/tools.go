//go:build tools

// Package tools pins the language host's main package at the version go.mod
// requires.
package tools

import _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
