#!/usr/bin/env bash
# Resets a Kubernetes node on destroy: kubeadm reset, kubelet stopped, kubeadm-ha's CNI and
# iptables state removed (only KUBE-/CNI-/calico/flannel chains; other rules are kept), the
# kubelet's and kubeadm's files deleted. Safe to run twice and on a half-installed node. A host that
# keeps an etcd member (it stops being a Kubernetes node only) keeps that member's data and
# certificates: etcd-reset.sh removes them when the member goes.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

if command -v kubeadm >/dev/null 2>&1; then
  # (never its remove-etcd-member phase: without the cluster's config it deletes /var/lib/etcd; and
  # the certificates, etcd's among them, are removed below, not by kubeadm: --cert-dir is empty)
  empty=$(mktemp -d)
  kubeadm reset -f --cri-socket "$KHA_CRI_SOCKET" --cert-dir "$empty" --skip-phases=remove-etcd-member >/dev/null 2>&1 ||
    log "kubeadm reset reported errors (continuing)"
  rm -rf "$empty"
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

if [[ -f "$KHA_ETCD_UNIT_FILE" ]]; then
  # this host keeps its etcd member: everything of Kubernetes goes but etcd's certificates and how
  # the member first started
  find "$KHA_KUBERNETES_DIR" -mindepth 1 -maxdepth 1 ! -name pki -exec rm -rf {} + 2>/dev/null || true
  find "$KHA_PKI_DIR" -mindepth 1 -maxdepth 1 ! -name etcd -exec rm -rf {} + 2>/dev/null || true
  find "$KHA_CONFIG_DIR" -mindepth 1 -maxdepth 1 ! -name "$(basename "$KHA_ETCD_INITIAL_ENV")" -exec rm -rf {} + 2>/dev/null || true
else
  rm -rf "$KHA_KUBERNETES_DIR" "$KHA_CONFIG_DIR"
fi
rm -rf "$KHA_KUBELET_DIR" \
  "$KHA_BRIDGE_CONFLIST" "$KHA_CNI_STATE_DIR" \
  "$KHA_POD_NETWORK_SERVICE_FILE" "$KHA_POD_NETWORK_TIMER_FILE" "$KHA_LIB_DIR" \
  "$KHA_CSR_APPROVER_SERVICE_FILE" "$KHA_CSR_APPROVER_TIMER_FILE" \
  "$KHA_STATE_DIR/kubeadm-control-plane.sum" "$KHA_STATE_DIR/control-plane-certs.sum" "$KHA_STATE_DIR/kubeconfig-renewal.sum" "$KHA_STATE_DIR/kubelet-csr-approver.sum" "$KHA_INIT_STARTED_MARK" "$KHA_JOIN_STARTED_MARK" \
  "$KHA_STATE_DIR/default-token-to-delete" "$KHA_ROOT/root/.kube"
systemctl daemon-reload || true
log "node reset"
