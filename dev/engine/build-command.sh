#!/usr/bin/env bash
# Build upstream's "command" resource provider plugin offline.
#
# Source: the unmodified upstream tree pulumi-command-v<version>/provider in the shared upstream
# folder (github.com/pulumi/pulumi-command at tag v<version>; its README), <version> being the
# @pulumi/command pinned in package.json. Its go.mod and go.sum pin every dependency, all served
# by the module proxy, so the build is upstream's: go build ./cmd/pulumi-resource-command in a
# throwaway copy, the version stamped as upstream's Makefile does (-X .../pkg/version.Version).
#
# Output: $KHA_TOOLCHAIN/command-<version>/pulumi-resource-command, reused while the source tree and
# the inputs are unchanged (KHA_REBUILD=1 forces). Build times: dev/engine/README.md.
set -euo pipefail

MODULE=github.com/pulumi/pulumi-command/provider

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=dev/engine/lib-build.sh
source "$here/lib-build.sh"
version=$(kb_npm_version command)

kb_init command "$version" pulumi-resource-command
src=$(kb_upstream_dir "pulumi-command-v$version")/provider
kb_want "$(echo "$version" | kb_hash "$src" /dev/stdin)"
kb_cached && exit 0

kb_workdir "$src"
cd "$kb_work"
kb_log "building pulumi-resource-command $version from $src ($(go env GOVERSION))"
nice -n 5 go build -trimpath -ldflags "-s -w -X $MODULE/pkg/version.Version=v$version" \
  -o "$kb_tmp" ./cmd/pulumi-resource-command
# No version flag: dev/engine/toolchain.sh checks the version the plugin reports in its schema.
kb_install
