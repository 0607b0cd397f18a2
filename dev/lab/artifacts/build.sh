#!/usr/bin/env bash
# Offline Kubernetes artifacts for the lab (and any air-gapped `artifacts: {source: local}` stack):
#
#   bash dev/lab/artifacts/build.sh [K8S_VERSION]        (default 1.34.1; needs root for apt/dpkg-deb)
#
# builds, or reuses when its inputs are unchanged, ${KHA_CACHE:-~/.cache/kubeadm-ha}/artifacts/k8s-<V>/
#   bin/kubeadm bin/kubelet bin/kubectl   static, from the k8s.io/kubernetes Go module (k8s.sh)
#   bin/etcd bin/etcdctl                  etcd for the host service (KHA_ETCD_VERSION, default 3.5.21,
#                                         from Go modules by dev/lab/etcd-build.sh: kubeadm 1.34 wants
#                                         >= 3.5.21; KHA_ETCD_SOURCE=debian takes Debian's 3.4 debs
#                                         through dev/lab/artifacts-etcd.sh instead)
#   images/*.tar                          OCI image-layout tars for `ctr -n k8s.io images import`
#                                         (images.sh: what kubeadm lists for V, metrics-server
#                                         (KHA_METRICS_SERVER_VERSION, default 0.8.0), plus the
#                                         lab's apiserver-proxy, haproxy and echo images)
#   build/                                intermediate outputs (server binaries, coredns,
#                                         metrics-server, our tools)
#   SHA256SUMS                            of bin/* and images/*.tar
# and points ${KHA_LAB_WORK:-lab/.work}/artifacts at that directory (the lab stacks say
# `artifacts: {source: local, dir: dev/lab/.work/artifacts}`). Prints the directory.
#
# Recipe, part by part (each is skipped when its key, a hash of its inputs, is unchanged):
#   tools    go/ (our module, no dependencies): ocitar (OCI tar writer), rootcopy (binaries + the
#            shared libraries they load, out of unpacked debs), pause, echo
#   k8s      k8s.sh: a throwaway wrapper module requires k8s.io/kubernetes vV and maps its ./staging
#            replaces to the published v0.MINOR.PATCH modules; one `go build` of kubeadm, kubelet,
#            kubectl, kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy with
#            upstream's tags and version stamps
#   etcd     see above
#   coredns  coredns.sh: github.com/coredns/coredns at the tag kubeadm lists
#   metrics-server  metrics-server.sh: sigs.k8s.io/metrics-server/cmd/metrics-server at
#            vKHA_METRICS_SERVER_VERSION, same way (wrapper module, upstream's version stamps)
#   images   images.sh: Debian packages by `apt-get download` + `dpkg-deb -x` (debroot.sh, .debs
#            cached in $KHA_CACHE/artifacts/debs), one gzip layer per image, fixed mtimes and
#            sorted entries: a rebuild gives the same digests
# Only the Go module proxy and Debian's apt are used. Builds run under `nice`.
#
# Measured on this machine (2 vCPUs shared with other builds, load average 6-9), each part timed
# in the output ("time: ..." lines and a table at the end):
#   cold (empty module cache and build cache for these modules): k8s 989 s (16.5 min, ~200
#     modules downloaded; CoreDNS building alongside), coredns 358 s, images 42 s (.debs
#     downloaded), tools 1 s; metrics-server 195 s (its ~95 modules at its own versions, k8s.io
#     v0.33.2 and prometheus among them, downloaded and compiled; 3 s with warm Go caches)
#   artifact cache empty, Go caches warm: 73 s (k8s 19 s of linking, coredns 5 s, images 42 s)
#   warm (nothing changed): 6 s (input hashing and SHA256SUMS)
# Sizes: bin/ 252 MB, images/ 152 MB (10 tars; kube-apiserver 29 MB, metrics-server 20 MB ...
# pause 0.7 MB). A change to images.sh itself rebuilds every tar (it is in each key): same bytes.
# Checks: test/lab/artifacts.test.sh; a one-host kubeadm cluster from these artifacts on the lab:
# dev/lab/artifacts/smoke.sh.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
umask 022
REPO_ROOT="$(cd "$ARTIFACTS_SRC/../../.." && pwd)"
LAB_WORK="${KHA_LAB_WORK:-$REPO_ROOT/dev/lab/.work}"

VERSION="${1:-${KHA_K8S_VERSION:-1.34.1}}"
ETCD_VERSION="${KHA_ETCD_VERSION:-3.5.21}"
ETCD_SOURCE="${KHA_ETCD_SOURCE:-go}"
METRICS_SERVER_VERSION="${KHA_METRICS_SERVER_VERSION:-0.8.0}"
DIR="$KHA_CACHE/artifacts/k8s-$VERSION"
BUILD="$DIR/build"

# part_current NAME KEY: true when build/NAME was made from KEY
part_current() { [[ -d "$BUILD/$1" && "$(cat "$BUILD/.$1.key" 2>/dev/null)" == "$2" ]]; }
part_done() { echo "$2" >"$BUILD/.$1.key"; }

go_key() { echo "$(go env GOVERSION) $(go env GOOS)/$(go env GOARCH)"; }

part_tools() {
  local key
  key="$(inputs_key "$(go_key)" "$GOFLAGS" "$ARTIFACTS_SRC/go/go.mod" "$ARTIFACTS_SRC"/go/*/*.go)"
  if part_current tools "$key"; then log "tools: up to date"; return 0; fi
  rm -rf "$BUILD/tools"
  (cd "$ARTIFACTS_SRC/go" && nice -n 10 go build -trimpath -ldflags "-s -w" -o "$BUILD/tools/" ./...)
  part_done tools "$key"
  log "tools: built ($(cd "$BUILD/tools" && echo *))"
}

part_k8s() {
  local key
  key="$(inputs_key "$(go_key)" "v$VERSION" "$ARTIFACTS_SRC/k8s.sh" "$ARTIFACTS_SRC/lib.sh")"
  if part_current k8s "$key" && [[ "$("$BUILD/k8s/kubeadm" version -o short 2>/dev/null)" == "v$VERSION" ]]; then
    log "k8s: up to date"
  else
    rm -rf "$BUILD/k8s" "$BUILD/k8s.new"
    nice -n 10 bash "$ARTIFACTS_SRC/k8s.sh" "$VERSION" "$BUILD/k8s.new"
    mv "$BUILD/k8s.new" "$BUILD/k8s"
    part_done k8s "$key"
  fi
  local b
  for b in kubeadm kubelet kubectl; do install_if_changed "$BUILD/k8s/$b" "$DIR/bin/$b"; done
}

part_etcd() {
  local src
  case "$ETCD_SOURCE" in
    go) src="$(nice -n 10 bash "$REPO_ROOT/dev/lab/etcd-build.sh" "$ETCD_VERSION")" ;;
    debian) src="$(bash "$REPO_ROOT/dev/lab/artifacts-etcd.sh")" ;;
    *) die "KHA_ETCD_SOURCE must be go or debian, not $ETCD_SOURCE" ;;
  esac
  [[ -x "$src/etcd" && -x "$src/etcdctl" ]] || die "no etcd binaries in '$src'"
  install_if_changed "$src/etcd" "$DIR/bin/etcd"
  install_if_changed "$src/etcdctl" "$DIR/bin/etcdctl"
  log "etcd: $("$DIR/bin/etcd" --version | head -1) ($ETCD_SOURCE)"
}

part_coredns() {
  local tag key
  tag="$("$BUILD/k8s/kubeadm" config images list --kubernetes-version "v$VERSION" 2>/dev/null | awk -F: '/\/coredns\/coredns:/ { print $NF }')"
  [[ -n "$tag" ]] || die "kubeadm v$VERSION lists no coredns image"
  key="$(inputs_key "$(go_key)" "$tag" "$ARTIFACTS_SRC/coredns.sh" "$ARTIFACTS_SRC/lib.sh")"
  if part_current coredns "$key" && [[ -x "$BUILD/coredns/coredns" ]]; then log "coredns $tag: up to date"; return 0; fi
  rm -rf "$BUILD/coredns" "$BUILD/coredns.new"
  nice -n 10 bash "$ARTIFACTS_SRC/coredns.sh" "$tag" "$BUILD/coredns.new"
  mv "$BUILD/coredns.new" "$BUILD/coredns"
  part_done coredns "$key"
}

part_metrics_server() {
  local key version="v$METRICS_SERVER_VERSION" bin="$BUILD/metrics-server/metrics-server"
  key="$(inputs_key "$(go_key)" "$version" "$ARTIFACTS_SRC/metrics-server.sh" "$ARTIFACTS_SRC/lib.sh")"
  if part_current metrics-server "$key" && [[ "$("$bin" --version 2>/dev/null)" == "$version" ]]; then
    log "metrics-server $version: up to date"
    return 0
  fi
  rm -rf "$BUILD/metrics-server" "$BUILD/metrics-server.new"
  nice -n 10 bash "$ARTIFACTS_SRC/metrics-server.sh" "$version" "$BUILD/metrics-server.new"
  mv "$BUILD/metrics-server.new" "$BUILD/metrics-server"
  part_done metrics-server "$key"
}

part_images() { nice -n 10 bash "$ARTIFACTS_SRC/images.sh" "$BUILD" "$DIR/images" "$VERSION"; }

install_if_changed() {
  if ! cmp -s "$1" "$2"; then
    install -D -m 0755 "$1" "$2.part"
    mv "$2.part" "$2"
  fi
}

link_lab() {
  local link="$LAB_WORK/artifacts"
  mkdir -p "$LAB_WORK"
  if [[ -d "$link" && ! -L "$link" ]]; then
    # an older copy (dev/lab/dev.sh's etcd-only fallback made a plain directory)
    log "replacing the directory $link with a link"
    rm -rf "$link"
  fi
  if [[ "$(readlink "$link" 2>/dev/null)" != "$DIR" ]]; then
    ln -sfn "$DIR" "$link"
  fi
  log "$link -> $DIR"
}

main() {
  [[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "version must be MAJOR.MINOR.PATCH, not $VERSION"
  [[ "$METRICS_SERVER_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
    die "KHA_METRICS_SERVER_VERSION must be MAJOR.MINOR.PATCH, not $METRICS_SERVER_VERSION"
  go_env
  mkdir -p "$BUILD" "$DIR/bin" "$DIR/images"
  exec 9>"$DIR/.lock"
  flock -w 3600 9 || die "another build holds $DIR/.lock"
  export KHA_TIMES_FILE="$BUILD/.times"
  : >"$KHA_TIMES_FILE"
  local start=$SECONDS
  timed "part tools" part_tools
  timed "part k8s" part_k8s
  timed "part etcd" part_etcd
  timed "part coredns" part_coredns
  timed "part metrics-server" part_metrics_server
  timed "part images" part_images
  (cd "$DIR" && sha256sum bin/* images/*.tar >SHA256SUMS.part && mv SHA256SUMS.part SHA256SUMS)
  link_lab
  log "times (s):"
  awk -F'\t' '{ printf "  %-28s %7s\n", $1, $2 }' "$KHA_TIMES_FILE" >&2
  log "total $((SECONDS - start)) s; sizes: $(du -sh "$DIR/bin" | cut -f1) bin, $(du -sh "$DIR/images" | cut -f1) images"
  echo "$DIR"
}

main "$@"
