#!/usr/bin/env bash
# Kubernetes' conformance suite and the images its [Conformance] tests run, built offline:
#
#   bash dev/lab/artifacts/conformance.sh [K8S_VERSION]     (default 1.34.1; after build.sh)
#
# builds, or reuses when its inputs are unchanged, ${KHA_CACHE:-~/.cache/kubeadm-ha}/artifacts/conformance-<V>/
#   bin/e2e.test bin/ginkgo     the suite (`go test -c k8s.io/kubernetes/test/e2e`) and ginkgo at
#                               the version kubernetes' go.mod pins (k8s.sh, KHA_K8S_E2E=true)
#   build/agnhost build/nnp build/sample-apiserver   the test images' binaries (same call)
#   images/*.tar                conformance-images.sh: agnhost, nautilus, busybox, jessie-dnsutils,
#                               httpd (two tags), nginx, nonewprivs, sample-apiserver, etcd 3.6
# and prints that directory. Needs the lab artifacts of the same version (build.sh: its tools and
# CoreDNS) and etcd 3.6.4 (dev/lab/etcd-build.sh). Only the Go module proxy and Debian's apt are
# used.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
umask 022
REPO_ROOT="$(cd "$ARTIFACTS_SRC/../../.." && pwd)"
VERSION="${1:-${KHA_K8S_VERSION:-1.34.1}}"
# the etcd the suite's manifest names for this Kubernetes release (registry.k8s.io/etcd:3.6.4-0)
ETCD_VERSION="${KHA_CONFORMANCE_ETCD_VERSION:-3.6.4}"
DIR="$KHA_CACHE/artifacts/conformance-$VERSION"
LAB_BUILD="$KHA_CACHE/artifacts/k8s-$VERSION/build"

part_suite() {
  local key
  key="$(inputs_key "$ARTIFACTS_SRC/k8s.sh" "$ARTIFACTS_SRC/lib.sh" "$VERSION" "$(go env GOVERSION)")"
  if [[ -x "$DIR/bin/e2e.test" && -x "$DIR/build/sample-apiserver" && "$(cat "$DIR/.suite.key" 2>/dev/null)" == "$key" ]]; then
    log "suite v$VERSION: up to date"
    return 0
  fi
  local tmp="$DIR/.suite-build"
  rm -rf "$tmp"
  KHA_K8S_E2E=true nice -n 10 bash "$ARTIFACTS_SRC/k8s.sh" "$VERSION" "$tmp"
  mkdir -p "$DIR/bin" "$DIR/build"
  mv -f "$tmp/e2e.test" "$tmp/ginkgo" "$DIR/bin/"
  mv -f "$tmp/agnhost" "$tmp/nnp" "$tmp/sample-apiserver" "$DIR/build/"
  rm -rf "$tmp"
  echo "$key" >"$DIR/.suite.key"
}

part_images() {
  local etcd module
  etcd="$(nice -n 10 bash "$REPO_ROOT/dev/lab/etcd-build.sh" "$ETCD_VERSION")"
  module="$(go mod download -json "k8s.io/kubernetes@v$VERSION" | jq -r .Dir)"
  K8S_MODULE="$module" nice -n 10 bash "$ARTIFACTS_SRC/conformance-images.sh" "$DIR/build" "$etcd" "$LAB_BUILD" "$DIR/images"
}

main() {
  [[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "version must be MAJOR.MINOR.PATCH, not $VERSION"
  [[ -x "$LAB_BUILD/tools/ocitar" && -x "$LAB_BUILD/coredns/coredns" ]] ||
    die "no lab artifacts for $VERSION in $LAB_BUILD: run dev/lab/artifacts/build.sh $VERSION first"
  go_env
  mkdir -p "$DIR/images"
  exec 9>"$DIR/.lock"
  flock -w 3600 9 || die "another build holds $DIR/.lock"
  local start=$SECONDS
  timed "part suite" part_suite
  timed "part conformance images" part_images
  log "total $((SECONDS - start)) s; $(du -sh "$DIR/bin" | cut -f1) bin, $(du -sh "$DIR/images" | cut -f1) images"
  echo "$DIR"
}

main "$@"
