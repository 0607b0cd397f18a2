#!/usr/bin/env bash
# Last clean-up of a bare-metal host on destroy (after every other phase's reset): removes what
# host preparation installed: kubeadm-ha's scripts, artifacts and state, the Kubernetes binaries,
# the kubelet unit, and kubeadm-ha's sysctl and module lists. containerd and OS packages stay.
# Safe to run twice.
set -euo pipefail
root="${KHA_ROOT:-}"

if [[ -e "$root/etc/systemd/system/kubelet.service" ]]; then
  systemctl disable --now kubelet.service >/dev/null 2>&1 || true
fi
rm -rf "$root/etc/systemd/system/kubelet.service" "$root/etc/systemd/system/kubelet.service.d" \
  "$root/usr/local/bin/kubeadm" "$root/usr/local/bin/kubelet" "$root/usr/local/bin/kubectl" \
  "$root/etc/sysctl.d/99-kubeadm-ha.conf" "$root/etc/modules-load.d/kubeadm-ha.conf" \
  "$root/etc/crictl.yaml" "$root/var/lib/kubeadm-ha" "$root/opt/kubeadm-ha"
systemctl daemon-reload >/dev/null 2>&1 || true
echo "kubeadm-ha[host-reset]: host preparation removed"
