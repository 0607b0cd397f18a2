#!/usr/bin/env bash
# First step on every node: swap off, kernel modules (tolerating hosts that cannot load them),
# sysctls such as ip_forward, and the artifacts directories air-gapped files are copied into.
# Idempotent. Files already written by put-files: the sysctl and module lists.
#
# Environment: KHA_ROOT (tests only).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

install -d -m 0755 "$KHA_ARTIFACTS_DIR/bin" "$KHA_ARTIFACTS_DIR/images" "$KHA_STATE_DIR"

# swap must be off for the kubelet
if [[ -z "$KHA_ROOT" ]]; then swapoff -a || log "swapoff failed (no swap support here?)"; fi
if [[ -f "$KHA_ROOT/etc/fstab" ]] && grep -Eq '^[^#].*[[:space:]]swap[[:space:]]' "$KHA_ROOT/etc/fstab"; then
  sed -i -E 's/^([^#].*[[:space:]]swap[[:space:]].*)$/# disabled by kubeadm-ha: \1/' "$KHA_ROOT/etc/fstab"
  log "commented swap out of /etc/fstab"
fi

# kernel modules: fine when built in, or when the host (a container) cannot load modules
while read -r module; do
  [[ -z "$module" || "$module" == \#* ]] && continue
  modprobe "$module" 2>/dev/null || log "module $module not loadable here (built in or not needed)"
done < "$KHA_MODULES_CONF"

# sysctls one by one, so a key the kernel lacks does not stop the others
while IFS='=' read -r key value; do
  key="${key// /}"
  [[ -z "$key" || "$key" == \#* ]] && continue
  sysctl -w "$key=${value// /}" >/dev/null 2>&1 || log "sysctl $key not settable here"
done < "$KHA_SYSCTL_CONF"

log "host prepared"
