#!/usr/bin/env bash
# Resets a Kubernetes node on destroy: kubeadm reset, kubelet stopped, kubeadm-ha's CNI and
# iptables state removed (only KUBE-/CNI-/calico/flannel chains; other rules are kept), the
# kubelet's and kubeadm's files deleted. Safe to run twice and on a half-installed node.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

if command -v kubeadm >/dev/null 2>&1; then
  kubeadm reset -f --cri-socket unix:///run/containerd/containerd.sock >/dev/null 2>&1 || log "kubeadm reset reported errors (continuing)"
fi
systemctl disable --now kubelet.service >/dev/null 2>&1 || true
systemctl disable --now kubeadm-ha-pod-network.timer kubeadm-ha-pod-network.service >/dev/null 2>&1 || true

for table in filter nat mangle raw; do
  if command -v iptables-save >/dev/null 2>&1 && iptables-save -t "$table" >/dev/null 2>&1; then
    iptables-save -t "$table" | grep -v -E '(KUBE-|CNI-|cali-|FLANNEL|kubeadm-ha)' | iptables-restore -T "$table" || true
  fi
done
for link in cni0 kha0 flannel.1 vxlan.calico kube-ipvs0; do
  ip link delete "$link" >/dev/null 2>&1 || true
done
ip route flush proto 177 >/dev/null 2>&1 || true

rm -rf "$KHA_ROOT/etc/kubernetes" "$KHA_ROOT/var/lib/kubelet" "$KHA_ROOT/etc/kubeadm-ha" \
  "$KHA_ROOT/etc/cni/net.d/10-kubeadm-ha-bridge.conflist" "$KHA_ROOT/var/lib/cni" \
  "$KHA_ROOT/etc/systemd/system/kubeadm-ha-pod-network.service" "$KHA_ROOT/etc/systemd/system/kubeadm-ha-pod-network.timer" \
  "$KHA_STATE_DIR/kubeadm-control-plane.sum" "$KHA_ROOT/root/.kube"
systemctl daemon-reload || true
log "node reset"
