#!/usr/bin/env bash
# Build the Pulumi "command" resource provider plugin, version 1.2.1, the one
# @pulumi/command@1.2.1 asks the engine for, offline (only the Go module proxy).
#
# Why our own source: the module proxy refuses github.com/pulumi/pulumi-command/provider
# at every version, so tools/command-provider/ is kubeadm-ha's own implementation of
# the subset of the `command` package schema this project uses, with the package's
# documented semantics (see tools/command-provider/README.md): command:remote:Command,
# command:remote:CopyToRemote, command:remote:CopyFile, command:local:Command and the
# command:local:run invoke, on github.com/pulumi/pulumi-go-provider v1.5.0 (infer) and
# github.com/pulumi/pulumi/sdk/v3 v3.259.0 (pinned by its go.mod/go.sum).
#
# Output: ${KHA_TOOLCHAIN:-${KHA_CACHE:-$HOME/.cache/kubeadm-ha}/toolchain}/command-1.2.1/
#   pulumi-resource-command   the plugin (reports 1.2.1 to `--version` and GetPluginInfo)
#   source.sha256             hash of the sources, this script and the Go version
# Reused when present and the hash matches; KHA_COMMAND_REBUILD=1 forces a rebuild.
# tools/toolchain.sh installs it into $PULUMI_HOME/plugins/resource-command-v1.2.1/.
#
# Timing on the 2-core machine: cold GOCACHE ~6.5 min wall under load ~12 from other builds
# (2 min 48 s of CPU, so ~2-3 min on an idle machine; module cache already filled),
# warm GOCACHE (stamp removed) ~5 s, cache hit < 1 s.
set -euo pipefail

VERSION=1.2.1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"
src="$here/command-provider"
toolchain="${KHA_TOOLCHAIN:-${KHA_CACHE:-$HOME/.cache/kubeadm-ha}/toolchain}"
out="$toolchain/command-$VERSION"
bin="$out/pulumi-resource-command"
stamp="$out/source.sha256"
start=$(date +%s)

log() { printf '[build-command] %s\n' "$*" >&2; }
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

if [[ "${KHA_COMMAND_REBUILD:-0}" != 1 && -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  log "reusing $bin (source hash ${want:0:12}) in $(elapsed)"
  exit 0
fi

export GOFLAGS="${GOFLAGS:-} -mod=mod"
export CGO_ENABLED=0
tmp="$bin.tmp.$$"
trap 'rm -f "$tmp"' EXIT

log "building pulumi-resource-command $VERSION ($(go env GOVERSION))"
(cd "$src" && go build -trimpath -ldflags "-s -w -X main.version=$VERSION" -o "$tmp" ./cmd/pulumi-resource-command)
got=$("$tmp" --version)
[[ "$got" == "$VERSION" ]] || { log "built plugin reports version '$got', want $VERSION"; exit 1; }

mv -f "$tmp" "$bin"
printf '%s\n' "$want" >"$stamp"
log "built $bin in $(elapsed)"
