#!/usr/bin/env bash
# Last clean-up of a bare-metal host on destroy (after every other phase's reset): removes what
# host preparation installed: kubeadm-ha's scripts, artifacts and state, the Kubernetes binaries,
# the kubelet unit, and kubeadm-ha's sysctl and module lists. containerd and OS packages stay.
# Safe to run twice.
set -euo pipefail
# shellcheck source=layout.sh
source "$(dirname "$0")/layout.sh"

if [[ -e "$KHA_KUBELET_UNIT_FILE" ]]; then
  systemctl disable --now kubelet.service >/dev/null 2>&1 || true
fi
rm -rf "$KHA_KUBELET_UNIT_FILE" "$KHA_KUBELET_DROPIN_DIR" \
  "$KHA_BIN_DIR/kubeadm" "$KHA_BIN_DIR/kubelet" "$KHA_BIN_DIR/kubectl" \
  "$KHA_SYSCTL_CONF" "$KHA_MODULES_CONF" \
  "$KHA_CRICTL_CONF" "$KHA_STATE_DIR" "$KHA_INSTALL_DIR"
systemctl daemon-reload >/dev/null 2>&1 || true
echo "kubeadm-ha[host-reset]: host preparation removed"
