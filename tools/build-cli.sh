#!/usr/bin/env bash
# Build the Pulumi engine pieces from the Go module proxy (no other network).
#
#   tools/build-cli.sh cli    <outdir>   -> <outdir>/pulumi
#   tools/build-cli.sh nodejs <outdir>   -> <outdir>/pulumi-language-nodejs
#
# Each build runs in a throwaway wrapper module under `mktemp -d` (removed on
# exit). The recipe and the reasons behind the versions are documented in
# tools/toolchain.sh, the single entry point; call that one instead of this.
set -euo pipefail

PULUMI_VERSION="${PULUMI_VERSION:-3.259.0}"
# pkg/v3's go.mod has this non-local replace; `go install pkg@ver` refuses
# modules with replaces, so the wrapper must copy it.
CLIPBOARD_REPLACE="github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e"

usage() { echo "usage: $0 {cli|nodejs} <outdir>" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
what="$1"
outdir="$2"
mkdir -p "$outdir"
outdir="$(cd "$outdir" && pwd)"

export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0
# Only the module proxy is reachable; never fall back to `direct` (VCS) fetches.
export GOPROXY="${GOPROXY_OVERRIDE:-https://proxy.golang.org}"
export GOTOOLCHAIN=local

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ldver="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${PULUMI_VERSION}"
# Built-in default for PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES ("regexp=URL"):
# every plugin download goes to a closed loopback port, so `pulumi install`
# and friends fail at once instead of reaching get.pulumi.com or GitHub even
# when tools/env.sh was not sourced. The variable still overrides it.
NO_DOWNLOADS=".*=http://127.0.0.1:9/kubeadm-ha-offline-no-plugin-downloads"
ldoverride="-X github.com/pulumi/pulumi/sdk/v3/go/common/workspace.pluginDownloadURLOverrides=${NO_DOWNLOADS}"
# Our own language host (tools/language-host/) reports the engine version it
# was built against, plus "+kubeadm-ha.<n>"; bump <n> when main.go changes.
HOST_VERSION="${HOST_VERSION:-v${PULUMI_VERSION}+kubeadm-ha.1}"

write_gomod() { # <module name>
  # Requiring pkg/v3 even where it is not imported makes both wrappers resolve
  # the very same build list, so the language host reuses the CLI's GOCACHE.
  cat > go.mod <<GOMOD
module kubeadm-ha.local/$1

go 1.25

require (
	github.com/pulumi/pulumi/pkg/v3 v${PULUMI_VERSION}
	github.com/pulumi/pulumi/sdk/v3 v${PULUMI_VERSION}
)

replace ${CLIPBOARD_REPLACE}
GOMOD
}

build_cli() {
  cd "$work"
  write_gomod pulumi-cli-wrapper
  go build -trimpath -ldflags "-s -w ${ldver} ${ldoverride}" -o "$outdir/pulumi" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
}

build_nodejs() {
  cd "$work"
  write_gomod pulumi-language-nodejs
  cp "$here/language-host/main.go" .
  go build -trimpath -ldflags "-s -w -X main.hostVersion=${HOST_VERSION}" \
    -o "$outdir/pulumi-language-nodejs" .
}

case "$what" in
  cli) build_cli ;;
  nodejs) build_nodejs ;;
  *) usage ;;
esac
echo "built $what into $outdir"
