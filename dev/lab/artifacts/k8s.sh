#!/usr/bin/env bash
# Builds the Kubernetes server and node binaries from the k8s.io/kubernetes Go module:
#   k8s.sh VERSION OUTDIR [COMMAND...]     (default: kubeadm kubelet kubectl kube-apiserver
#                                           kube-controller-manager kube-scheduler kube-proxy)
#   KHA_K8S_E2E=true k8s.sh VERSION OUTDIR  the conformance suite instead: OUTDIR/e2e.test
#                                           (`go test -c k8s.io/kubernetes/test/e2e`) and
#                                           OUTDIR/ginkgo at the version kubernetes' go.mod pins,
#                                           OUTDIR/agnhost, OUTDIR/nnp and OUTDIR/sample-apiserver
#                                           (binaries of the suite's test images)
# k8s.io/kubernetes replaces its k8s.io/* modules with ./staging directories, so `go install
# pkg@version` refuses it. Instead a throwaway wrapper module (mktemp -d) requires
# k8s.io/kubernetes vVERSION and replaces every staging module with its published v0.MINOR.PATCH
# (the same code, tagged from staging), plus kubernetes' own non-local replaces. One `go build`
# builds every command (shared work), static (CGO_ENABLED=0), with upstream's build tags
# (hack/lib/golang.sh: selinux,notest,grpcnotrace) and version stamps (hack/lib/version.sh: the
# -X ...version.gitVersion/gitMajor/gitMinor/gitCommit/gitTreeState/buildDate pairs for both
# k8s.io/component-base/version and k8s.io/client-go/pkg/version), so `kubeadm version` and
# `kubelet --version` say vVERSION. buildDate is the module's publication time: reproducible.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# Release commits, for `version` output only (kubeadm checks gitVersion, not the commit).
declare -A GIT_COMMITS=([1.34.1]=93248f9ae092f571eb870b7664c534bfc7d00f03)

main() {
  local version="${1:?usage: k8s.sh VERSION OUTDIR [COMMAND...]}" out="${2:?usage: k8s.sh VERSION OUTDIR [COMMAND...]}"
  shift 2
  local -a cmds=("$@")
  ((${#cmds[@]} > 0)) || cmds=(kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy)
  [[ "$version" =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || die "version must be MAJOR.MINOR.PATCH, not $version"
  local major="${BASH_REMATCH[1]}" minor="${BASH_REMATCH[2]}" patch="${BASH_REMATCH[3]}"
  local staging_ver="v0.$minor.$patch"
  go_env

  local meta gomod info
  meta="$(go mod download -json "k8s.io/kubernetes@v$version")" || die "cannot download k8s.io/kubernetes@v$version"
  gomod="$(jq -r .GoMod <<<"$meta")"
  info="$(jq -r .Info <<<"$meta")"
  [[ -f "$gomod" && -f "$info" ]] || die "no go.mod for k8s.io/kubernetes@v$version in the module cache"
  local build_date go_directive
  build_date="$(jq -r .Time "$info")"
  go_directive="$(awk '$1 == "go" { print $2; exit }' "$gomod")"

  # kubernetes' replace directives, one "OLD => NEW [VER]" per line (block and single-line forms)
  local replaces
  replaces="$(awk '
    /^replace[ \t]*\($/ { inblock = 1; next }
    inblock && /^\)/ { inblock = 0; next }
    inblock && /=>/ { sub(/^[ \t]+/, ""); print; next }
    /^replace[ \t]+[^(]/ && /=>/ { sub(/^replace[ \t]+/, ""); print }
  ' "$gomod")"

  WRAPPER="$(mktemp -d "${TMPDIR:-/tmp}/kha-k8s-build.XXXXXX")"
  trap 'rm -rf "$WRAPPER"' EXIT
  {
    echo "module kubeadm-ha.local/k8s-build"
    echo
    echo "go $go_directive"
    echo
    echo "require k8s.io/kubernetes v$version"
    echo
    echo "replace ("
    local old arrow new newver staging=0 other=0
    while read -r old arrow new newver; do
      [[ "$arrow" == "=>" ]] || continue
      if [[ "$new" == ./* || "$new" == ../* ]]; then
        [[ "$new" == "./staging/src/$old" ]] || die "unexpected local replace in kubernetes' go.mod: $old => $new"
        echo "	$old => $old $staging_ver"
        staging=$((staging + 1))
      else
        echo "	$old => $new $newver"
        other=$((other + 1))
      fi
    done <<<"$replaces"
    echo ")"
    log "wrapper module: $staging staging modules -> $staging_ver, $other other replaces" >&2
  } >"$WRAPPER/go.mod"

  local pkg="k8s.io/component-base/version" cpkg="k8s.io/client-go/pkg/version"
  local -a pairs=(
    "gitVersion=v$version" "gitMajor=$major" "gitMinor=$minor"
    "gitTreeState=clean" "buildDate=$build_date"
  )
  [[ -n "${GIT_COMMITS[$version]:-}" ]] && pairs+=("gitCommit=${GIT_COMMITS[$version]}")
  local ldflags="-s -w" p
  for p in "${pairs[@]}"; do ldflags+=" -X $pkg.$p -X $cpkg.$p"; done

  mkdir -p "$out"
  if [[ "${KHA_K8S_E2E:-}" == true ]]; then
    local ginkgo
    ginkgo="$(awk '$1 == "github.com/onsi/ginkgo/v2" { print $2; exit }' "$gomod")"
    [[ -n "$ginkgo" ]] || die "kubernetes' go.mod pins no github.com/onsi/ginkgo/v2"
    log "go test -c k8s.io/kubernetes/test/e2e and ginkgo $ginkgo (v$version, $(go env GOVERSION))"
    (
      cd "$WRAPPER"
      # the suite's test-only dependencies enter the wrapper's build list here
      GOFLAGS=-mod=mod go get "github.com/onsi/ginkgo/v2@$ginkgo" >/dev/null
      GOFLAGS=-mod=mod go build -trimpath -o "$out/ginkgo" github.com/onsi/ginkgo/v2/ginkgo
      GOFLAGS=-mod=mod go test -c -trimpath -tags selinux,notest,grpcnotrace -ldflags "$ldflags" -o "$out/e2e.test" k8s.io/kubernetes/test/e2e
      # the suite's Swiss-army test image binary and the no-new-privileges probe (static)
      GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$out/agnhost" k8s.io/kubernetes/test/images/agnhost
      GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$out/nnp" k8s.io/kubernetes/test/images/nonewprivs
      # the aggregation test's sample apiserver, from its staging module at this release (upstream's
      # image builds an older tag; the API it serves is the same wardle.example.com/v1alpha1).
      # After the suite: its requirements must not change the suite's build list.
      GOFLAGS=-mod=mod go get "k8s.io/sample-apiserver@$staging_ver" >/dev/null
      GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$out/sample-apiserver" k8s.io/sample-apiserver
    )
    "$out/agnhost" --help >/dev/null 2>&1 || die "the built agnhost does not run"
    "$out/e2e.test" --help >/dev/null 2>&1 || die "the built e2e.test does not run"
    log "built e2e.test and ginkgo $("$out/ginkgo" version 2>/dev/null | awk '{print $NF}') into $out"
    return 0
  fi
  local -a pkgs=()
  local c
  for c in "${cmds[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  log "go build ${cmds[*]} (v$version, $(go env GOVERSION))"
  (cd "$WRAPPER" && go build -trimpath -tags selinux,notest,grpcnotrace -ldflags "$ldflags" -o "$out/" "${pkgs[@]}")

  local got
  got="$("$out/kubeadm" version -o short 2>/dev/null || true)"
  [[ ! -x "$out/kubeadm" || "$got" == "v$version" ]] || die "kubeadm version says '$got', not v$version"
  got="$("$out/kubelet" --version 2>/dev/null || true)"
  [[ ! -x "$out/kubelet" || "$got" == "Kubernetes v$version" ]] || die "kubelet --version says '$got'"
  log "built ${cmds[*]} into $out"
}

main "$@"
