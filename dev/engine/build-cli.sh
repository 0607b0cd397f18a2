#!/usr/bin/env bash
# Build the Pulumi CLI (engine) offline, from the Go module proxy only.
#
# Source: github.com/pulumi/pulumi/pkg/v3 at the version of @pulumi/pulumi pinned in package.json
# (CLI, language host and Node SDK move together). A throwaway wrapper module requires pkg/v3 and
# sdk/v3 at that version and copies pkg's one non-local replace (github.com/atotto/clipboard =>
# github.com/tgummerer/clipboard; pkg's `sdk/v3 => ../sdk` becomes the plain sdk/v3 requirement);
# then `go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi` with two -X stamps: the version, and a
# default plugin-download override that sends every plugin download to a closed loopback port
# (dev/engine/README.md, "Offline rules"; PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES still wins).
#
# Output: $KHA_TOOLCHAIN/cli-<version>/pulumi, reused while the inputs are unchanged
# (KHA_REBUILD=1 forces). Build times: dev/engine/README.md.
set -euo pipefail

CLIPBOARD_REPLACE="github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e"
NO_DOWNLOADS=".*=http://127.0.0.1:9/kubeadm-ha-offline-no-plugin-downloads"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=dev/engine/lib-build.sh
source "$here/lib-build.sh"
version=$(kb_npm_version pulumi)

kb_init cli "$version" pulumi
kb_want "$(echo "$version" | kb_hash /dev/stdin)"
kb_cached && exit 0

# shellcheck disable=SC2119  # no source tree: the wrapper module is written here
kb_workdir
cd "$kb_work"
go mod init kubeadm-ha.local/pulumi-cli >/dev/null 2>&1
go mod edit -require "github.com/pulumi/pulumi/pkg/v3@v$version" -require "github.com/pulumi/pulumi/sdk/v3@v$version" \
  -replace "$CLIPBOARD_REPLACE"

kb_log "building the Pulumi CLI v$version ($(go env GOVERSION); cold: over 10 minutes on 2 cores)"
nice -n 5 go build -trimpath -ldflags "-s -w \
  -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version \
  -X github.com/pulumi/pulumi/sdk/v3/go/common/workspace.pluginDownloadURLOverrides=$NO_DOWNLOADS" \
  -o "$kb_tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
kb_check_version version
kb_install
