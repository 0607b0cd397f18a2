#!/usr/bin/env bash
# Installs or removes the kubelet serving-certificate approver (kubelet-csr-approve.sh) on a control
# plane, as hardening.env says. On: the approver and layout.sh go to /usr/local/lib/kubeadm-ha and
# its timer runs every 20 s (the units come with the step). Off: the timer is stopped, and the units
# and the approver removed, so nothing approves serving certificates any more. Called by
# kubeadm-init.sh and kubeadm-join.sh; a re-run changes nothing.
#
# Environment: KHA_ROOT (tests). Files: hardening.env, and when on the approver's units.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

unit="$KHA_CSR_APPROVER_UNIT"
if hardening_on KHA_KUBELET_SERVING_CERTS; then
  for f in "$KHA_CSR_APPROVER_SERVICE_FILE" "$KHA_CSR_APPROVER_TIMER_FILE" "$(dirname "$0")/kubelet-csr-approve.sh"; do
    [[ -f "$f" ]] || die "missing $f (it comes with the control-plane step)"
  done
  install_file "$(dirname "$0")/layout.sh" "$KHA_LIB_DIR/layout.sh" 0644
  install_file "$(dirname "$0")/kubelet-csr-approve.sh" "$KHA_LIB_DIR/kubelet-csr-approve.sh" 0755
  changed=false
  if config_changed kubelet-csr-approver "$KHA_CSR_APPROVER_SERVICE_FILE" "$KHA_CSR_APPROVER_TIMER_FILE"; then
    systemctl daemon-reload
    changed=true
  fi
  # enabling an enabled, running timer changes nothing: this also restarts one stopped by hand
  systemctl enable --now "$unit.timer" >/dev/null 2>&1
  if [[ "$changed" == true ]]; then log "kubelet serving-certificate approver enabled ($unit.timer)"; fi
elif [[ -e "$KHA_CSR_APPROVER_TIMER_FILE" || -e "$KHA_CSR_APPROVER_SERVICE_FILE" || -e "$KHA_LIB_DIR/kubelet-csr-approve.sh" ]]; then
  systemctl disable --now "$unit.timer" >/dev/null 2>&1 || true
  rm -f "$KHA_CSR_APPROVER_TIMER_FILE" "$KHA_CSR_APPROVER_SERVICE_FILE" "$KHA_LIB_DIR/kubelet-csr-approve.sh" \
    "$KHA_STATE_DIR/kubelet-csr-approver.sum"
  systemctl daemon-reload
  log "kubelet serving-certificate approver removed (hardening.kubeletServingCerts is off)"
fi
