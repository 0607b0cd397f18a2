#!/usr/bin/env bash
# Build upstream's Node.js language host (pulumi-language-nodejs) offline.
#
# Source: the unmodified upstream tree in the shared upstream folder,
# pulumi-language-nodejs-v<version>/ (github.com/pulumi/pulumi, sdk/nodejs/cmd/pulumi-language-nodejs
# at tag v<version>; see that folder's README), <version> being the @pulumi/pulumi pinned in
# package.json. Its go.mod replaces pkg/v3 and sdk/v3 with paths inside the pulumi repository; in a
# throwaway copy both replaces point at the served modules of the same version instead, and the
# version is stamped as upstream's release build does (-X .../sdk/v3/go/common/version.Version).
#
# Output: $KHA_TOOLCHAIN/language-nodejs-<version>/pulumi-language-nodejs, reused while the source
# tree and the inputs are unchanged (KHA_REBUILD=1 forces). Build times: dev/engine/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=dev/engine/lib-build.sh
source "$here/lib-build.sh"
version=$(kb_npm_version pulumi)

kb_init language-nodejs "$version" pulumi-language-nodejs
src=$(kb_upstream_dir "pulumi-language-nodejs-v$version")
kb_want "$(echo "$version" | kb_hash "$src" /dev/stdin)"
kb_cached && exit 0

kb_workdir "$src"
cd "$kb_work"
go mod edit -replace "github.com/pulumi/pulumi/pkg/v3=github.com/pulumi/pulumi/pkg/v3@v$version" \
  -replace "github.com/pulumi/pulumi/sdk/v3=github.com/pulumi/pulumi/sdk/v3@v$version"

kb_log "building pulumi-language-nodejs v$version from $src ($(go env GOVERSION))"
nice -n 5 go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
  -o "$kb_tmp" .
kb_check_version -version
kb_install
