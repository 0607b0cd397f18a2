#!/usr/bin/env bash
# Builds metrics-server from its Go module: metrics-server.sh VERSION OUTDIR  (v0.8.0 or 0.8.0)
# sigs.k8s.io/metrics-server/cmd/metrics-server in a throwaway wrapper module that requires the
# module (its go.mod lists every dependency, so the versions are upstream's), static, stamped like
# upstream's Makefile: -X k8s.io/client-go/pkg/version.{gitVersion,gitCommit,buildDate}. buildDate
# is the tag's commit time from the proxy's .info (upstream's is the build time: ours stays
# reproducible); gitCommit only when the proxy says (.Origin.Hash), empty otherwise.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

MODULE=sigs.k8s.io/metrics-server
VERSION_PKG=k8s.io/client-go/pkg/version

main() {
  local version="${1:?usage: metrics-server.sh VERSION OUTDIR}" out="${2:?usage: metrics-server.sh VERSION OUTDIR}"
  [[ "$version" == v* ]] || version="v$version"
  go_env
  local meta info commit date
  meta="$(go mod download -json "$MODULE@$version")" || die "cannot download $MODULE@$version"
  info="$(jq -r .Info <<<"$meta")"
  commit="$(jq -r '.Origin.Hash // empty' "$info" 2>/dev/null || true)"
  date="$(jq -r '.Time // empty' "$info")"
  [[ -n "$date" ]] || die "no commit time in $info"
  WRAPPER="$(mktemp -d "${TMPDIR:-/tmp}/kha-metrics-server-build.XXXXXX")"
  trap 'rm -rf "$WRAPPER"' EXIT
  printf 'module kubeadm-ha.local/metrics-server-build\n\ngo %s\n\nrequire %s %s\n' \
    "$(awk '$1 == "go" { print $2; exit }' "$(jq -r .GoMod <<<"$meta")")" "$MODULE" "$version" >"$WRAPPER/go.mod"
  mkdir -p "$out"
  log "go build metrics-server $version ($(go env GOVERSION))"
  (cd "$WRAPPER" && go build -trimpath \
    -ldflags "-s -w -X $VERSION_PKG.gitVersion=$version -X $VERSION_PKG.gitCommit=$commit -X $VERSION_PKG.buildDate=$date" \
    -o "$out/metrics-server" "$MODULE/cmd/metrics-server")
  local got
  got="$("$out/metrics-server" --version 2>/dev/null | head -1)"
  [[ "$got" == "$version" ]] || die "metrics-server --version says '$got'"
  log "built metrics-server $version into $out"
}

main "$@"
