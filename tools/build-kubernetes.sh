#!/usr/bin/env bash
# Build the Pulumi "kubernetes" resource provider plugin, version 4.34.2, the one
# @pulumi/kubernetes@4.34.2 asks the engine for, offline (only the Go module proxy).
#
# Why our own source: the module proxy refuses github.com/pulumi/pulumi-kubernetes/provider/v4
# at every version (403), so tools/kubernetes-provider/ is kubeadm-ha's own implementation:
# a plain gRPC ResourceProvider (github.com/pulumi/pulumi/sdk/v3 v3.259.0 plugin helpers)
# serving any kubernetes:<group>/<version>:<Kind> token and the ...Patch kinds generically
# through the cluster's discovery, with server-side apply (k8s.io/client-go v0.34.1), pinned by
# its go.mod/go.sum. Semantics and deviations: tools/kubernetes-provider/README.md.
#
# Output: ${KHA_TOOLCHAIN:-${KHA_CACHE:-$HOME/.cache/kubeadm-ha}/toolchain}/kubernetes-4.34.2/
#   pulumi-resource-kubernetes   the plugin (reports 4.34.2 to `--version` and GetPluginInfo)
#   source.sha256                hash of the sources, this script and the Go version
# Reused when present and the hash matches; KHA_KUBERNETES_REBUILD=1 forces a rebuild.
# tools/toolchain.sh installs it into $PULUMI_HOME/plugins/resource-kubernetes-v4.34.2/.
#
# Timing on the 2-core machine (module cache already holding client-go v0.34.1 and sdk v3.259.0):
# cold (empty GOCACHE) 2 min 24 s wall at load 3-5, warm GOCACHE (sources changed) 3-4 s,
# cache hit < 1 s. See also tools/README.md ("Build times").
set -euo pipefail

VERSION=4.34.2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"
src="$here/kubernetes-provider"
toolchain="${KHA_TOOLCHAIN:-${KHA_CACHE:-$HOME/.cache/kubeadm-ha}/toolchain}"
out="$toolchain/kubernetes-$VERSION"
bin="$out/pulumi-resource-kubernetes"
stamp="$out/source.sha256"
start=$(date +%s)

log() { printf '[build-kubernetes] %s\n' "$*" >&2; }
elapsed() { echo "$(($(date +%s) - start))s"; }

command -v go >/dev/null || { log "go is not on PATH"; exit 1; }

# Everything that determines the binary (tests do not).
source_hash() {
  (
    cd "$src"
    find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) ! -name '*_test.go' -print0 |
      LC_ALL=C sort -z | xargs -0 sha256sum
    sha256sum <"$self"
    go env GOVERSION GOOS GOARCH
  ) | sha256sum | cut -d' ' -f1
}
want=$(source_hash)

mkdir -p "$out"
exec 9>"$out/.lock"
flock 9

if [[ "${KHA_KUBERNETES_REBUILD:-0}" != 1 && -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  log "reusing $bin (source hash ${want:0:12}) in $(elapsed)"
  exit 0
fi

export GOFLAGS="${GOFLAGS:-} -mod=mod"
export CGO_ENABLED=0
tmp="$bin.tmp.$$"
trap 'rm -f "$tmp"' EXIT

log "building pulumi-resource-kubernetes $VERSION ($(go env GOVERSION))"
(cd "$src" && nice -n 10 go build -trimpath -ldflags "-s -w -X main.version=$VERSION" -o "$tmp" ./cmd/pulumi-resource-kubernetes)
got=$("$tmp" --version)
[[ "$got" == "$VERSION" ]] || { log "built plugin reports version '$got', want $VERSION"; exit 1; }

mv -f "$tmp" "$bin"
printf '%s\n' "$want" >"$stamp"
log "built $bin in $(elapsed)"
