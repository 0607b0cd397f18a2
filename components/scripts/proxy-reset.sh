#!/usr/bin/env bash
# Removes the per-node apiserver proxy (unit, config, state). Safe to run twice.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

systemctl disable --now kubeadm-ha-apiserver-proxy.service >/dev/null 2>&1 || true
rm -rf "$KHA_ROOT/etc/kubeadm-ha/apiserver-proxy" "$KHA_ROOT/etc/systemd/system/kubeadm-ha-apiserver-proxy.service" \
  "$KHA_STATE_DIR/apiserver-proxy.sum"
systemctl daemon-reload || true
log "apiserver proxy removed"
