#!/usr/bin/env bash
# First control plane: `kubeadm init` with the certificates ClusterPki placed under
# /etc/kubernetes/pki (kubeadm keeps them and only signs the kubeconfigs). On re-runs of an
# initialised node it regenerates the static pod manifests when the config or certificates
# changed, so a `pulumi up` that changes cluster settings converges. Waits for the apiserver.
#
# The security defaults' files (encryption config, audit policy, authentication config) are
# tracked like the certificates, so turning one on or off converges too. Installs or removes the
# kubelet serving-certificate approver, and approves this node's own request at once.
#
# Environment: KHA_ROOT (tests), KHA_APPROVE_TRIES (30).
# Files: /etc/kubeadm-ha/kubeadm.yaml and hardening.env, the PKI, the security defaults' files.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

config="$KHA_KUBEADM_CONFIG"
kubeconfig="$KHA_ADMIN_CONF"
default_token_mark="$KHA_STATE_DIR/default-token-to-delete"
tracked=("$config" "$KHA_PKI_DIR"/*.crt "$KHA_PKI_DIR"/*.key "$KHA_PKI_DIR"/sa.pub
  "$KHA_ENCRYPTION_CONFIG" "$KHA_AUDIT_POLICY" "$KHA_AUTHENTICATION_CONFIG")

if [[ -f "$kubeconfig" ]]; then
  if config_changed kubeadm-control-plane "${tracked[@]}"; then
    log "settings or certificates changed: regenerating control-plane manifests"
    kubeadm init phase control-plane all --config "$config"
    # kubeadm's and the kubelet's cluster-wide config: nodes joining later read both
    kubeadm init phase upload-config all --config "$config" --kubeconfig "$kubeconfig"
  else
    log "already initialised, nothing changed"
  fi
  if hardening_on KHA_KUBELET_SERVING_CERTS; then kubelet_serving_converge true; else kubelet_serving_converge false; fi
else
  log "kubeadm init"
  mkdir -p "$KHA_STATE_DIR"
  touch "$default_token_mark"
  kubeadm init --config "$config" --skip-token-print
  config_changed kubeadm-control-plane "${tracked[@]}" || true
fi

apiserver_ready() { kubectl --kubeconfig "$kubeconfig" get --raw /readyz >/dev/null 2>&1; }
wait_for "the apiserver to be ready" 120 2 apiserver_ready

# kubeadm init always makes a 24-hour bootstrap token (no description: the list shows <none>) that
# nothing here uses, since every node joins with a short-lived token of its own. Right after this
# host's `kubeadm init` (the mark survives a failure in between), every token that is not one of
# ours is that one: delete it. Never later: a token an operator made stays theirs.
if [[ -f "$default_token_mark" ]]; then
  while read -r line; do
    [[ "$line" =~ ^([a-z0-9]{6})[.][a-z0-9]{16}[[:space:]] && "$line" != *"kubeadm-ha join of"* ]] || continue
    kubeadm token delete --kubeconfig "$kubeconfig" "${BASH_REMATCH[1]}" >/dev/null
    log "deleted kubeadm's default bootstrap token"
  done < <(kubeadm token list --kubeconfig "$kubeconfig")
  rm -f "$default_token_mark"
fi

bash "$(dirname "$0")/kubelet-csr-approver-install.sh"
# The first kubelet asks for its serving certificate as soon as its Node exists; approve it now
# rather than on the timer's first tick. Bounded and not fatal: the timer keeps trying.
if hardening_on KHA_KUBELET_SERVING_CERTS && [[ ! -e "$KHA_KUBELET_DIR/pki/kubelet-server-current.pem" ]]; then
  for ((try = 1; try <= ${KHA_APPROVE_TRIES:-30}; try++)); do
    bash "$(dirname "$0")/kubelet-csr-approve.sh" || true
    [[ ! -e "$KHA_KUBELET_DIR/pki/kubelet-server-current.pem" ]] || break
    sleep 2
  done
  [[ -e "$KHA_KUBELET_DIR/pki/kubelet-server-current.pem" ]] ||
    log "the kubelet has no serving certificate yet; the approver's timer will approve it"
fi
log "control plane ready"
