#!/usr/bin/env bash
# Resets a Kubernetes node on destroy: kubeadm reset, kubelet stopped, kubeadm-ha's CNI and
# iptables state removed (only KUBE-/CNI-/calico/flannel chains; other rules are kept), the
# kubelet's and kubeadm's files deleted. Safe to run twice and on a half-installed node.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

if command -v kubeadm >/dev/null 2>&1; then
  kubeadm reset -f --cri-socket "$KHA_CRI_SOCKET" >/dev/null 2>&1 || log "kubeadm reset reported errors (continuing)"
fi
systemctl disable --now kubelet.service >/dev/null 2>&1 || true
systemctl disable --now "$KHA_POD_NETWORK_UNIT.timer" "$KHA_POD_NETWORK_UNIT.service" >/dev/null 2>&1 || true
systemctl disable --now "$KHA_CSR_APPROVER_UNIT.timer" "$KHA_CSR_APPROVER_UNIT.service" >/dev/null 2>&1 || true

for table in filter nat mangle raw; do
  if command -v iptables-save >/dev/null 2>&1 && iptables-save -t "$table" >/dev/null 2>&1; then
    iptables-save -t "$table" | grep -v -E '(KUBE-|CNI-|cali-|FLANNEL|kubeadm-ha)' | iptables-restore -T "$table" || true
  fi
done
for link in cni0 kha0 flannel.1 vxlan.calico kube-ipvs0; do
  ip link delete "$link" >/dev/null 2>&1 || true
done
ip route flush proto "$KHA_ROUTE_PROTO" >/dev/null 2>&1 || true

rm -rf "$KHA_KUBERNETES_DIR" "$KHA_KUBELET_DIR" "$KHA_CONFIG_DIR" \
  "$KHA_BRIDGE_CONFLIST" "$KHA_CNI_STATE_DIR" \
  "$KHA_POD_NETWORK_SERVICE_FILE" "$KHA_POD_NETWORK_TIMER_FILE" "$KHA_LIB_DIR" \
  "$KHA_CSR_APPROVER_SERVICE_FILE" "$KHA_CSR_APPROVER_TIMER_FILE" \
  "$KHA_STATE_DIR/kubeadm-control-plane.sum" "$KHA_STATE_DIR/control-plane-certs.sum" "$KHA_STATE_DIR/kubeconfig-renewal.sum" "$KHA_STATE_DIR/kubelet-csr-approver.sum" "$KHA_INIT_STARTED_MARK" "$KHA_JOIN_STARTED_MARK" \
  "$KHA_STATE_DIR/default-token-to-delete" "$KHA_ROOT/root/.kube"
systemctl daemon-reload || true
log "node reset"
