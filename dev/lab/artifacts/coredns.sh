#!/usr/bin/env bash
# Builds CoreDNS from its Go module: coredns.sh VERSION OUTDIR  (VERSION as kubeadm lists it, v1.12.1)
# The module's main package (github.com/coredns/coredns) already links every plugin of upstream's
# default plugin.cfg (kubernetes, forward, cache, errors, health, ready, loop, reload, loadbalance,
# log, prometheus, ...). Built in a throwaway wrapper module that requires it, static, stamped
# like upstream's Makefile (-X coremain.GitCommit=<the tag's commit, from the proxy's .info>).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

main() {
  local version="${1:?usage: coredns.sh VERSION OUTDIR}" out="${2:?usage: coredns.sh VERSION OUTDIR}"
  [[ "$version" == v* ]] || version="v$version"
  go_env
  local meta info commit
  meta="$(go mod download -json "github.com/coredns/coredns@$version")" || die "cannot download github.com/coredns/coredns@$version"
  info="$(jq -r .Info <<<"$meta")"
  commit="$(jq -r '.Origin.Hash // empty' "$info" 2>/dev/null || true)"
  WRAPPER="$(mktemp -d "${TMPDIR:-/tmp}/kha-coredns-build.XXXXXX")"
  trap 'rm -rf "$WRAPPER"' EXIT
  printf 'module kubeadm-ha.local/coredns-build\n\ngo %s\n\nrequire github.com/coredns/coredns %s\n' \
    "$(awk '$1 == "go" { print $2; exit }' "$(jq -r .GoMod <<<"$meta")")" "$version" >"$WRAPPER/go.mod"
  mkdir -p "$out"
  log "go build coredns $version ($(go env GOVERSION))"
  (cd "$WRAPPER" && go build -trimpath -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=${commit:0:7}" \
    -o "$out/coredns" github.com/coredns/coredns)
  local got
  got="$("$out/coredns" -version | head -1)"
  [[ "$got" == "CoreDNS-${version#v}" ]] || die "coredns -version says '$got'"
  log "built coredns $version into $out"
}

main "$@"
