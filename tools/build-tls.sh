#!/usr/bin/env bash
# Build the Pulumi "tls" resource provider plugin, version 5.6.1, offline
# (only the Go module proxy is needed), for @pulumi/tls@5.6.1.
#
# Recipe (see shared DESIGN.md section 7):
#   * pulumi-tls's own provider module (github.com/pulumi/pulumi-tls/provider/v5)
#     is not served by the module proxy, so we bridge the upstream Terraform
#     provider ourselves with kubeadm-ha's glue in tools/tls-provider/:
#       - shim/  module github.com/hashicorp/terraform-provider-tls/kubeadmhashim,
#                which (by Go's internal rule) may import the upstream
#                internal/provider package and hands it to the bridge;
#       - provider.go  our ProviderInfo: name "tls", version 5.6.1, tokens
#                tls:index/{privateKey,selfSignedCert,locallySignedCert,certRequest}
#                and the getPublicKey/getCertificate functions;
#       - cmd/pulumi-tfgen-tls      the bridge's (pf) tfgen on that mapping;
#       - cmd/pulumi-resource-tls   the plugin, embedding what tfgen generated.
#   * Steps, in a throwaway copy of the glue under `mktemp -d`:
#       1. go build cmd/pulumi-tfgen-tls
#       2. pulumi-tfgen-tls schema --skip-examples --out cmd/pulumi-resource-tls
#          (writes schema.json + bridge-metadata.json; docs from the upstream
#          module in GOMODCACHE; nothing generated goes into git)
#       3. go build cmd/pulumi-resource-tls (embeds both files)
#   * Versions (pinned by tools/tls-provider/go.mod + go.sum):
#       github.com/hashicorp/terraform-provider-tls v1.2.1-0.20260819085117-d044ca7c6f52
#           (upstream 4.3.0 + later commits; pulumi-tls pins 609226f53114, which the
#           proxy refuses)
#       github.com/pulumi/pulumi-terraform-bridge/v3 v3.137.0
#       github.com/pulumi/pulumi/{pkg,sdk}/v3 v3.259.0 (same as the CLI we build)
#       github.com/hashicorp/terraform-plugin-framework v1.19.0
#       github.com/hashicorp/terraform-plugin-sdk/v2 => github.com/pulumi/terraform-plugin-sdk/v2
#           v2.0.0-20260318212141-5525259d096b (the bridge's fork, as the bridge uses)
#
# Output: ${KHA_CACHE:-$HOME/.cache/kubeadm-ha}/toolchain/tls-5.6.1/pulumi-resource-tls
# (plus schema.json beside it, for reference). Reused when present and the hash
# of the glue sources, this script and the Go version is unchanged; set
# KHA_TLS_REBUILD=1 to force a rebuild. The toolchain script installs the binary
# into $PULUMI_HOME/plugins/resource-tls-v5.6.1/.
#
# Timing on this project's 2-core machine (shared with other Go builds), modules
# already in GOMODCACHE: cold (empty GOCACHE) 748 s, almost all of it compiling
# tfgen's dependencies (pulumi pkg/v3 codegen, bridge, TF framework); warm GOCACHE
# with a forced rebuild (KHA_TLS_REBUILD=1) 17 s; cache hit 0.1 s. The build is
# reproducible: cold and warm builds give byte-identical binaries.
set -euo pipefail

VERSION=5.6.1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"
glue="$here/tls-provider"
cache="${KHA_CACHE:-$HOME/.cache/kubeadm-ha}"
out="$cache/toolchain/tls-$VERSION"
bin="$out/pulumi-resource-tls"
stamp="$out/glue.sha256"
start=$(date +%s)

log() { printf '[build-tls] %s\n' "$*" >&2; }
elapsed() { echo "$(($(date +%s) - start))s"; }

command -v go >/dev/null || { log "go is not on PATH"; exit 1; }

# Hash of everything that determines the binary.
glue_hash() {
  local files sums self_sum goenv
  files=$(cd "$glue" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) | LC_ALL=C sort) || return 1
  [[ -n "$files" ]] || return 1
  sums=$(cd "$glue" && xargs sha256sum <<<"$files") || return 1
  self_sum=$(sha256sum <"$self") || return 1
  goenv=$(go env GOVERSION GOOS GOARCH) || return 1
  printf '%s\n' "$sums" "$self_sum" "$goenv" | sha256sum | cut -d' ' -f1
}
want=$(glue_hash) || { log "cannot hash the glue sources in $glue"; exit 1; }

mkdir -p "$out"
# Serialise concurrent builds of the same output.
exec 9>"$out/.lock"
flock 9

if [[ "${KHA_TLS_REBUILD:-0}" != 1 && -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  log "reusing $bin (glue hash ${want:0:12}) in $(elapsed)"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kha-tls-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -R "$glue/." "$work/"
rm -f "$work/cmd/pulumi-resource-tls/schema.json" "$work/cmd/pulumi-resource-tls/bridge-metadata.json"
cd "$work"

export GOFLAGS="${GOFLAGS:-} -mod=mod"
export CGO_ENABLED=0

log "building pulumi-tfgen-tls ($(go env GOVERSION))"
go build -trimpath -o "$work/bin/pulumi-tfgen-tls" ./cmd/pulumi-tfgen-tls
log "tfgen built at $(elapsed)"

upstream=$(go list -m -f '{{.Dir}}' github.com/hashicorp/terraform-provider-tls)
[[ -d "$upstream/docs" ]] || { log "upstream docs not found in $upstream"; exit 1; }

log "generating schema + bridge metadata"
KHA_TLS_UPSTREAM_DIR="$upstream" \
  PULUMI_HOME="$work/.pulumi" \
  PULUMI_CONVERT=0 \
  PULUMI_MISSING_DOCS_ERROR=false \
  PULUMI_SKIP_UPDATE_CHECK=true \
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
  "$work/bin/pulumi-tfgen-tls" schema --skip-examples --out "$work/cmd/pulumi-resource-tls" \
  >"$work/tfgen.log" 2>&1 || { cat "$work/tfgen.log" >&2; log "tfgen failed"; exit 1; }

schema="$work/cmd/pulumi-resource-tls/schema.json"
for tok in tls:index/privateKey:PrivateKey tls:index/selfSignedCert:SelfSignedCert \
  tls:index/locallySignedCert:LocallySignedCert tls:index/certRequest:CertRequest; do
  grep -q "\"$tok\"" "$schema" || { log "generated schema lacks $tok"; exit 1; }
done
[[ -s "$work/cmd/pulumi-resource-tls/bridge-metadata.json" ]] || { log "tfgen wrote no bridge-metadata.json"; exit 1; }
log "schema generated at $(elapsed)"

log "building pulumi-resource-tls"
go build -trimpath -ldflags "-s -w" -o "$work/bin/pulumi-resource-tls" ./cmd/pulumi-resource-tls
[[ "$("$work/bin/pulumi-resource-tls" --version)" == "$VERSION" ]] ||
  { log "built plugin does not report version $VERSION"; exit 1; }

install -m 0755 "$work/bin/pulumi-resource-tls" "$bin.tmp"
mv -f "$bin.tmp" "$bin"
install -m 0644 "$schema" "$out/schema.json"
printf '%s\n' "$want" >"$stamp"
log "built $bin in $(elapsed)"
