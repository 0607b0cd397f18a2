#!/usr/bin/env bash
# Offline etcd from Go modules (kubeadm 1.34 wants external etcd >= 3.5.21; Debian has 3.4):
# builds etcd and etcdctl into ${KHA_CACHE:-$HOME/.cache/kubeadm-ha}/artifacts/etcd-<version>/
# and prints that directory. Reused when present.
#
# Recipe: etcd's modules replace each other with local paths, so `go install` refuses them. A
# throwaway wrapper module (mktemp -d) requires go.etcd.io/etcd/server/v3 and etcdctl/v3 at the
# version, plus every sibling module they replace locally at its published version, and builds
# the two main packages with CGO off, -trimpath. The sibling set differs per minor line (see
# `replace` in server/v3's and etcdctl/v3's go.mod): 3.5 also has client/v2 (v2.305.x), raft/v3
# and etcdutl/v3; 3.6 moved raft out to go.etcd.io/raft/v3 (own versions, a normal require),
# dropped client/v2, and etcdctl no longer imports etcdutl. 3.6.4 is what Kubernetes 1.34's
# conformance tests run beside the sample apiserver (registry.k8s.io/etcd:3.6.4-0).
set -euo pipefail
VERSION="${1:-3.5.21}"
KHA_CACHE="${KHA_CACHE:-$HOME/.cache/kubeadm-ha}"
OUT="$KHA_CACHE/artifacts/etcd-$VERSION"
log() { printf '[etcd-build] %s\n' "$*" >&2; }

version_line=""
if [[ -x "$OUT/etcd" ]]; then version_line="$("$OUT/etcd" --version 2>/dev/null || true)"; fi
if [[ -x "$OUT/etcdctl" && "$version_line" == *"etcd Version: $VERSION"* ]]; then
  echo "$OUT"
  exit 0
fi
command -v go >/dev/null || { log "go is not on PATH"; exit 1; }
start=$SECONDS
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Their `replace` lines do not apply outside etcd's tree, so pin each replaced sibling at the
# release here to build both binaries from that one release; the set that differs by line:
case "$VERSION" in
  3.5.*)
    minor="${VERSION#3.}"
    extra="go.etcd.io/etcd/client/v2 v2.30$minor
	go.etcd.io/etcd/raft/v3 v$VERSION
	go.etcd.io/etcd/etcdutl/v3 v$VERSION" ;;
  3.6.*) extra="" ;;
  *) log "etcd $VERSION: only 3.5.x and 3.6.x have a known module set"; exit 1 ;;
esac
cat > "$work/go.mod" <<MOD
module kubeadm-ha.local/etcd-build

go 1.23

require (
	go.etcd.io/etcd/server/v3 v$VERSION
	go.etcd.io/etcd/etcdctl/v3 v$VERSION
	go.etcd.io/etcd/api/v3 v$VERSION
	go.etcd.io/etcd/client/pkg/v3 v$VERSION
	go.etcd.io/etcd/client/v3 v$VERSION
	go.etcd.io/etcd/pkg/v3 v$VERSION
	$extra
)
MOD
cat > "$work/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/server/v3"
)
GO
(
  cd "$work"
  export GOFLAGS=-mod=mod CGO_ENABLED=0 GOPROXY="${GOPROXY:-https://proxy.golang.org}"
  go mod tidy >/dev/null 2>&1 || true
  mkdir -p out
  go build -trimpath -ldflags "-s -w" -o out/etcd go.etcd.io/etcd/server/v3
  go build -trimpath -ldflags "-s -w" -o out/etcdctl go.etcd.io/etcd/etcdctl/v3
)
mkdir -p "$OUT"
install -m 0755 "$work/out/etcd" "$work/out/etcdctl" "$OUT/"
(cd "$OUT" && sha256sum etcd etcdctl > SHA256SUMS)
log "built etcd $VERSION in $((SECONDS - start)) s"
echo "$OUT"
