#!/usr/bin/env bash
# First control plane: `kubeadm init` with the certificates ClusterPki placed under
# /etc/kubernetes/pki (kubeadm keeps them and only signs the kubeconfigs). On re-runs of an
# initialised node it regenerates the static pod manifests when the config or certificates
# changed, so a `pulumi up` that changes cluster settings converges. Waits for the apiserver.
#
# Environment: KHA_ROOT (tests). Files: /etc/kubeadm-ha/kubeadm.yaml and the PKI.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

config="$KHA_KUBEADM_CONFIG"
kubeconfig="$KHA_ADMIN_CONF"
tracked=("$config" "$KHA_PKI_DIR"/*.crt "$KHA_PKI_DIR"/*.key "$KHA_PKI_DIR"/sa.pub)

if [[ -f "$kubeconfig" ]]; then
  if config_changed kubeadm-control-plane "${tracked[@]}"; then
    log "settings or certificates changed: regenerating control-plane manifests"
    kubeadm init phase control-plane all --config "$config"
    kubeadm init phase upload-config kubeadm --config "$config" --kubeconfig "$kubeconfig"
  else
    log "already initialised, nothing changed"
  fi
else
  log "kubeadm init"
  kubeadm init --config "$config" --skip-token-print
  config_changed kubeadm-control-plane "${tracked[@]}" || true
fi

apiserver_ready() { kubectl --kubeconfig "$kubeconfig" get --raw /readyz >/dev/null 2>&1; }
wait_for "the apiserver to be ready" 120 2 apiserver_ready
log "control plane ready"
