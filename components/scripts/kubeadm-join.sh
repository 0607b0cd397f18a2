#!/usr/bin/env bash
# Joins a node with `kubeadm join` (workers) or `kubeadm join --control-plane` (other control
# planes, whose certificates ClusterPki already placed). A node that already joined is left as
# it is, except that a control plane regenerates its manifests when settings changed. The join
# configuration holds a short-lived token: it is deleted as soon as the join finished.
#
# The discovery file (file discovery: control planes, and workers under anonymousAuthHealthOnly)
# holds the token too and goes with it. Control planes also install or remove the kubelet
# serving-certificate approver, and track the security defaults' files like their certificates.
#
# A join-started mark lives from just before `kubeadm join` until it succeeded: found at the start,
# it means the last join was interrupted.
#
# Environment: KHA_NODE_NAME, KHA_CONTROL_PLANE (true|false), KHA_KUBELET_SERVING_CERTS (true|false: a node that
# joined earlier follows a change of it), KHA_DRAIN_TIMEOUT and KHA_IGNORE_PREFLIGHT (an upgrade:
# kubeadm-upgrade.sh), KHA_ROOT (tests).
# Files: /etc/kubeadm-ha/kubeadm-join.yaml (0600), discovery.conf (0600, file discovery), and on
# control planes kubeadm.yaml, hardening.env, the PKI and the security defaults' files.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

join_config="$KHA_KUBEADM_JOIN_CONFIG"
trap 'rm -f "$join_config" "$KHA_DISCOVERY_CONF"' EXIT
control_plane="${KHA_CONTROL_PLANE:-false}"
config="$KHA_KUBEADM_CONFIG"
tracked=("$config" "$KHA_PKI_DIR"/*.crt "$KHA_PKI_DIR"/*.key "$KHA_PKI_DIR"/sa.pub
  "$KHA_ENCRYPTION_CONFIG" "$KHA_AUDIT_POLICY" "$KHA_AUTHENTICATION_CONFIG")

# A join of this host that did not finish (the run was killed, the host rebooted) is reset,
# certificates kept, and made again: kubeadm would otherwise fail its preflight on every retry.
if [[ -e "$KHA_JOIN_STARTED_MARK" ]]; then
  log "this host's last kubeadm join did not finish: resetting what it left and joining again"
  reset_interrupted_kubeadm "${KHA_NODE_NAME:?}" "$control_plane"
  rm -f "$KHA_JOIN_STARTED_MARK"
fi

if [[ -f "$KHA_KUBELET_CONF" ]]; then
  # a control plane with a new kubernetesVersion: `kubeadm upgrade node`, then its kubelet (no-op
  # otherwise); workers are upgraded by their own step, drained from a control plane first
  if [[ "$control_plane" == true ]]; then upgrade_control_plane node; fi
  if [[ "$control_plane" == true ]] && config_pending kubeadm-control-plane "${tracked[@]}"; then
    log "settings or certificates changed: regenerating control-plane manifests"
    restart=false
    if control_plane_certs_pending; then restart=true; fi
    regenerate_control_plane "$config" "$restart"
    config_record kubeadm-control-plane "${tracked[@]}"
    record_control_plane_certs
  else
    log "already joined"
  fi
  if [[ "$control_plane" == true ]]; then
    renew_kubeconfigs due
    bash "$(dirname "$0")/kubelet-csr-approver-install.sh"
  fi
  kubelet_serving_converge "${KHA_KUBELET_SERVING_CERTS:-false}"
  exit 0
fi

install -d -m 0755 "$KHA_STATE_DIR"
touch "$KHA_JOIN_STARTED_MARK"
if [[ "$control_plane" == true ]]; then
  log "kubeadm join --control-plane"
  kubeadm join --config "$join_config"
  rm -f "$KHA_JOIN_STARTED_MARK"
  config_changed kubeadm-control-plane "${tracked[@]}" || true
  record_control_plane_certs
  renew_kubeconfigs fresh
  bash "$(dirname "$0")/kubelet-csr-approver-install.sh"
else
  log "kubeadm join"
  kubeadm join --config "$join_config"
  rm -f "$KHA_JOIN_STARTED_MARK"
fi
log "joined"
