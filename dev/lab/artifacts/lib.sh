#!/usr/bin/env bash
# Shared helpers of the lab artifact scripts (sourced, not run).
# shellcheck disable=SC2034  # variables used by the scripts that source this file

KHA_CACHE="${KHA_CACHE:-$HOME/.cache/kubeadm-ha}"
ARTIFACTS_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

log() { printf '[artifacts %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Go settings for every build here: static, module mode, reproducible paths.
go_env() {
  # -buildvcs=false: our tools live in this git checkout; VCS stamps would make their bytes
  # depend on the commit and a dirty tree
  export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
  command -v go >/dev/null 2>&1 || die "go is not on PATH (dev/engine/toolchain.sh or /usr/local/go/bin)"
}

# sha256 of the named files' contents and of extra strings, as one short hex key.
inputs_key() {
  local f
  {
    for f in "$@"; do
      if [[ -f "$f" ]]; then sha256sum "$f" | cut -d' ' -f1; else printf '%s\n' "$f"; fi
    done
  } | sha256sum | cut -c1-16
}

# Runs "$@", then logs how long it took: timed LABEL CMD...
timed() {
  local label="$1" start rc=0
  shift
  start=$(date +%s.%N)
  "$@" || rc=$?
  local secs
  secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  log "time: $label ${secs}s$([[ $rc -eq 0 ]] || echo " (failed, exit $rc)")"
  [[ -n "${KHA_TIMES_FILE:-}" ]] && printf '%s\t%s\t%s\n' "$label" "$secs" "$rc" >>"$KHA_TIMES_FILE"
  return "$rc"
}
