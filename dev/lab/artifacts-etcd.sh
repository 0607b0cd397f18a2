#!/usr/bin/env bash
# Offline etcd artifact: the etcd and etcdctl binaries from Debian's etcd-server/etcd-client
# packages (fetched with `apt-get download`, unpacked with `dpkg-deb -x`, nothing installed), put in
#   ${KHA_CACHE:-$HOME/.cache/kubeadm-ha}/artifacts/etcd-<version>/{etcd,etcdctl,SHA256SUMS,SOURCE}
# Prints that directory. Idempotent: does nothing when the directory is complete.
set -euo pipefail
KHA_CACHE="${KHA_CACHE:-$HOME/.cache/kubeadm-ha}"
ART="$KHA_CACHE/artifacts"

log() { printf '[etcd-artifact] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }'; }

main() {
  local deb_ver dir ver
  deb_ver="$(candidate etcd-server)"
  if [[ -z "$deb_ver" || "$deb_ver" == "(none)" ]]; then
    apt-get update -q >/dev/null
    deb_ver="$(candidate etcd-server)"
  fi
  [[ -n "$deb_ver" && "$deb_ver" != "(none)" ]] || die "no etcd-server package in the apt sources"
  [[ "$(candidate etcd-client)" == "$deb_ver" ]] || die "etcd-server and etcd-client versions differ"
  # Upstream version: strip the epoch and the Debian revision (3.4.23-4+b4 -> 3.4.23).
  ver="${deb_ver#*:}"
  ver="${ver%%-*}"
  dir="$ART/etcd-$ver"
  if [[ -x "$dir/etcd" && -x "$dir/etcdctl" && -f "$dir/SHA256SUMS" ]]; then
    (cd "$dir" && sha256sum --quiet -c SHA256SUMS) || die "$dir is corrupt; delete it and run again"
    echo "$dir"
    return 0
  fi
  mkdir -p "$ART"
  WORK="$(mktemp -d "$ART/.etcd-build.XXXXXX")"
  trap 'rm -rf "$WORK"' EXIT
  local work="$WORK"
  log "downloading etcd-server and etcd-client $deb_ver"
  (cd "$work" && apt-get download -q -o APT::Sandbox::User=root "etcd-server=$deb_ver" "etcd-client=$deb_ver" >/dev/null)
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/x"; done
  mkdir -p "$work/out"
  install -m 755 "$work/x/usr/bin/etcd" "$work/out/etcd"
  install -m 755 "$work/x/usr/bin/etcdctl" "$work/out/etcdctl"
  [[ "$("$work/out/etcd" --version)" == *"etcd Version: $ver"* ]] || die "etcd --version does not say $ver"
  (cd "$work/out" && sha256sum etcd etcdctl >SHA256SUMS)
  echo "debian etcd-server/etcd-client $deb_ver $(dpkg --print-architecture)" >"$work/out/SOURCE"
  rm -rf "$dir"
  mv "$work/out" "$dir"
  log "etcd $ver -> $dir"
  echo "$dir"
}

main "$@"
