#!/usr/bin/env bash
# Build the Pulumi "tls" resource provider plugin, version 5.6.1, offline
# (only the Go module proxy is needed), for @pulumi/tls@5.6.1.
#
# Recipe:
#   * pulumi-tls's own provider module (github.com/pulumi/pulumi-tls/provider/v5)
#     is not served by the module proxy, so we bridge the upstream Terraform
#     provider ourselves with kubeadm-ha's glue in dev/engine/tls-provider/:
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
#   * Versions (pinned by dev/engine/tls-provider/go.mod + go.sum):
#       github.com/hashicorp/terraform-provider-tls v1.2.1-0.20260819085117-d044ca7c6f52
#           (upstream 4.3.0 + later commits; pulumi-tls pins 609226f53114, which the
#           proxy refuses)
#       github.com/pulumi/pulumi-terraform-bridge/v3 v3.137.0
#       github.com/pulumi/pulumi/{pkg,sdk}/v3 v3.259.0 (same as the CLI we build)
#       github.com/hashicorp/terraform-plugin-framework v1.19.0
#       github.com/hashicorp/terraform-plugin-sdk/v2 => github.com/pulumi/terraform-plugin-sdk/v2
#           v2.0.0-20260318212141-5525259d096b (the bridge's fork, as the bridge uses)
#
# Output: $KHA_TOOLCHAIN/tls-5.6.1/pulumi-resource-tls (plus schema.json beside it,
# for reference). Reused while the glue sources, this script, dev/engine/lib-build.sh
# and the Go version are unchanged; KHA_REBUILD=1 forces a rebuild.
#
# Timing on this project's 2-core machine (shared with other Go builds), modules
# already in GOMODCACHE: cold (empty GOCACHE) 748 s, almost all of it compiling
# tfgen's dependencies (pulumi pkg/v3 codegen, bridge, TF framework); warm GOCACHE
# with a forced rebuild (KHA_TLS_REBUILD=1) 17 s; cache hit 0.1 s. The build is
# reproducible: cold and warm builds give byte-identical binaries.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=dev/engine/lib-build.sh
source "$here/lib-build.sh"
glue="$here/tls-provider"
version=$(kb_npm_version tls)
grep -q "const Version = \"$version\"" "$glue/provider.go" ||
  { echo "[build-tls] dev/engine/tls-provider/provider.go does not serve @pulumi/tls $version" >&2; exit 1; }

kb_init tls "$version" pulumi-resource-tls
kb_want "$(kb_hash "$glue")"
kb_cached && exit 0

kb_workdir "$glue"
cd "$kb_work"
rm -f cmd/pulumi-resource-tls/schema.json cmd/pulumi-resource-tls/bridge-metadata.json

kb_log "building pulumi-tfgen-tls ($(go env GOVERSION))"
nice -n 5 go build -trimpath -o "$kb_work/bin/pulumi-tfgen-tls" ./cmd/pulumi-tfgen-tls
kb_log "tfgen built at $(kb_elapsed)"

upstream=$(go list -m -f '{{.Dir}}' github.com/hashicorp/terraform-provider-tls)
[[ -d "$upstream/docs" ]] || { kb_log "upstream docs not found in $upstream"; exit 1; }

kb_log "generating schema + bridge metadata"
KHA_TLS_UPSTREAM_DIR="$upstream" \
  PULUMI_HOME="$kb_work/.pulumi" \
  PULUMI_CONVERT=0 \
  PULUMI_MISSING_DOCS_ERROR=false \
  PULUMI_SKIP_UPDATE_CHECK=true \
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
  "$kb_work/bin/pulumi-tfgen-tls" schema --skip-examples --out "$kb_work/cmd/pulumi-resource-tls" \
  >"$kb_work/tfgen.log" 2>&1 || { cat "$kb_work/tfgen.log" >&2; kb_log "tfgen failed"; exit 1; }

schema="$kb_work/cmd/pulumi-resource-tls/schema.json"
for tok in tls:index/privateKey:PrivateKey tls:index/selfSignedCert:SelfSignedCert \
  tls:index/locallySignedCert:LocallySignedCert tls:index/certRequest:CertRequest; do
  grep -q "\"$tok\"" "$schema" || { kb_log "generated schema lacks $tok"; exit 1; }
done
[[ -s "$kb_work/cmd/pulumi-resource-tls/bridge-metadata.json" ]] || { kb_log "tfgen wrote no bridge-metadata.json"; exit 1; }
kb_log "schema generated at $(kb_elapsed)"

kb_log "building pulumi-resource-tls"
nice -n 5 go build -trimpath -ldflags "-s -w" -o "$kb_tmp" ./cmd/pulumi-resource-tls
kb_check_version --version
install -m 0644 "$schema" "$kb_out/schema.json"
kb_install
