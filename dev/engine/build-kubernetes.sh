#!/usr/bin/env bash
# Build upstream's "kubernetes" resource provider plugin, offline (only the Go module proxy).
#
# Source: github.com/pulumi/pulumi-kubernetes/provider/v4 at the module version below, the one the
# module proxy serves (upstream master, 2026-01-15), unmodified. Upstream's own build does three
# things, and so does this one, in a throwaway copy of the module:
#   1. its go.mod replaces github.com/pulumi/pulumi-kubernetes/sdk/v4 with ../sdk (the repository's
#      sibling folder, not in the module): point that replace at the served sdk/v4 it requires;
#   2. `go run generate.go` in cmd/pulumi-resource-kubernetes with VERSION set writes
#      schema-embed.json and terraform-mapping-embed.json (the files main.go embeds);
#   3. go build ./cmd/pulumi-resource-kubernetes with the version stamped into pkg/version.
# Every other dependency is at the version upstream's go.mod/go.sum pins.
#
# Version: the plugin reports the version of @pulumi/kubernetes pinned in package.json (the engine
# asks for exactly that one); that SDK release is the one cut from this line of upstream's master.
#
# Output: $KHA_TOOLCHAIN/kubernetes-<version>/pulumi-resource-kubernetes, reused while this script,
# dev/engine/lib-build.sh, the module version and the Go version are unchanged (KHA_REBUILD=1 forces).
# Build times: dev/engine/README.md.
set -euo pipefail

MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
SDK_MODULE=github.com/pulumi/pulumi-kubernetes/sdk/v4
SDK_VERSION=v4.24.0 # what the module's go.mod requires

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=dev/engine/lib-build.sh
source "$here/lib-build.sh"
version=$(kb_npm_version kubernetes)

kb_init kubernetes "$version" pulumi-resource-kubernetes
kb_want "$(printf '%s %s %s\n' "$MODULE_VERSION" "$SDK_VERSION" "$version" | kb_hash /dev/stdin)"
kb_cached && exit 0

kb_log "downloading $MODULE@$MODULE_VERSION"
src=$(cd "$(mktemp -d)" && go mod download -json "$MODULE@$MODULE_VERSION" | jq -r .Dir)
[[ -d "$src/cmd/pulumi-resource-kubernetes" ]] || { kb_log "module source not found at '$src'"; exit 1; }
kb_workdir "$src"
cd "$kb_work"
go mod edit -replace "$SDK_MODULE=$SDK_MODULE@$SDK_VERSION"

kb_log "generating the embedded schema (version $version) at $(kb_elapsed)"
(cd cmd/pulumi-resource-kubernetes && VERSION="$version" nice -n 5 go run generate.go)

kb_log "building pulumi-resource-kubernetes $version ($(go env GOVERSION)) at $(kb_elapsed)"
nice -n 5 go build -trimpath -ldflags "-s -w -X $MODULE/pkg/version.Version=$version" \
  -o "$kb_tmp" ./cmd/pulumi-resource-kubernetes
# No version flag: dev/engine/toolchain.sh checks the version the plugin reports in its schema.
kb_install
