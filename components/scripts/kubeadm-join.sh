#!/usr/bin/env bash
# Joins a node with `kubeadm join` (workers) or `kubeadm join --control-plane` (other control
# planes, whose certificates ClusterPki already placed). A node that already joined is left as
# it is, except that a control plane regenerates its manifests when settings changed. The join
# configuration holds a short-lived token: it is deleted as soon as the join finished.
#
# Environment: KHA_CONTROL_PLANE (true|false), KHA_ROOT (tests).
# Files: /etc/kubeadm-ha/kubeadm-join.yaml (0600), and on control planes kubeadm.yaml + PKI.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

join_config="$KHA_KUBEADM_JOIN_CONFIG"
trap 'rm -f "$join_config"' EXIT
control_plane="${KHA_CONTROL_PLANE:-false}"
config="$KHA_KUBEADM_CONFIG"
tracked=("$config" "$KHA_PKI_DIR"/*.crt "$KHA_PKI_DIR"/*.key "$KHA_PKI_DIR"/sa.pub)

if [[ -f "$KHA_KUBELET_CONF" ]]; then
  if [[ "$control_plane" == true ]] && config_changed kubeadm-control-plane "${tracked[@]}"; then
    log "settings or certificates changed: regenerating control-plane manifests"
    kubeadm init phase control-plane all --config "$config"
  else
    log "already joined"
  fi
  exit 0
fi

if [[ "$control_plane" == true ]]; then
  log "kubeadm join --control-plane"
  kubeadm join --config "$join_config"
  config_changed kubeadm-control-plane "${tracked[@]}" || true
else
  log "kubeadm join"
  kubeadm join --config "$join_config"
fi
log "joined"
