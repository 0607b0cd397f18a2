#!/usr/bin/env bash
# Upgrades this node to the kubernetesVersion of its step, as kubeadm's upgrade guide does it, when
# the installed kubelet runs another version (a no-op otherwise, so every run may call it). The new
# binaries and images were staged by node-install.sh (host-prep, every node at once); nothing of the
# running node changed then. Modes:
#   apply   the first control plane: `kubeadm upgrade apply` (the cluster's configuration, this
#           node's control-plane manifests, CoreDNS and kube-proxy)
#   node    another control plane: `kubeadm upgrade node` (its manifests and kubelet config)
#   worker  a worker, already drained from a control plane: `kubeadm upgrade node`
# then the kubelet and kubectl binaries, the kubelet restarted, and a bounded wait until the Node
# reports the new version and Ready. A control plane drains itself before its kubelet restarts and
# is uncordoned after. Certificates are never renewed by kubeadm here (--certificate-renewal=false):
# Pulumi's PKI owns them.
#
# Interrupted runs converge: every command is safe to repeat (`kubeadm upgrade apply` of the version
# the cluster already has re-applies it), and a mark left while a control plane is cordoned makes the
# next run uncordon it even when the kubelet runs the new version already.
#
# Environment: KHA_UPGRADE_MODE (the mode, when no argument: a step of its own), KHA_KUBERNETES_VERSION
# (e.g. 1.35.4), KHA_NODE_NAME, KHA_DRAIN_TIMEOUT (300s),
# KHA_IGNORE_PREFLIGHT (comma-separated kubeadm checks), KHA_NODE_TRIES (90: x 2 s for Ready), KHA_ROOT (tests).
# Files: /etc/kubeadm-ha/kubeadm.yaml (control planes).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

mode="${1:-${KHA_UPGRADE_MODE:-}}"
case "$mode" in apply | node | worker) ;; *) die "usage: kubeadm-upgrade.sh apply|node|worker (or KHA_UPGRADE_MODE), not '$mode'" ;; esac
target="v${KHA_KUBERNETES_VERSION:?}"
node="${KHA_NODE_NAME:?}"
cordoned_mark="$KHA_STATE_DIR/upgrade-cordoned"
if [[ "$mode" == worker ]]; then credential=$KHA_KUBELET_CONF; else credential=$KHA_ADMIN_CONF; fi
kc() { kubectl --kubeconfig "$credential" --request-timeout=10s "$@"; }

node_at_target() {
  [[ "$(kc get node "$node" -o 'jsonpath={.status.nodeInfo.kubeletVersion}' 2>/dev/null)" == "$target" &&
    "$(kc get node "$node" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}

# (retried, bounded: an apiserver the kubelet's restart just restarted answers before its
# authorization caches are filled, with Forbidden)
uncordon_self() {
  [[ -e "$cordoned_mark" ]] || return 0
  wait_for "the uncordon of $node to be accepted" "${KHA_NODE_TRIES:-90}" 2 kc uncordon "$node"
  rm -f "$cordoned_mark"
  log "uncordoned $node"
}

running=$(kubelet_version)
if [[ "$running" == "$target" ]]; then
  if [[ "$mode" != worker ]]; then uncordon_self; fi
  exit 0
fi
if [[ -z "$running" ]]; then
  log "no kubelet installed on $node: nothing to upgrade"
  exit 0
fi
upgrade_path_check "$running" "$target"

# (copied artifacts arrive without the executable bit: install_file sets the mode where they run)
for name in kubeadm kubelet kubectl; do
  [[ -f "$KHA_ARTIFACTS_DIR/bin/$name" ]] || die "the staged $name for $target is missing under $KHA_ARTIFACTS_DIR/bin (host-prep stages it)"
  chmod 0755 "$KHA_ARTIFACTS_DIR/bin/$name"
done
staged=$("$KHA_ARTIFACTS_DIR/bin/kubeadm" version -o short 2>/dev/null || true)
[[ "$staged" == "$target" ]] || die "the staged kubeadm is ${staged:-unreadable}, not $target: host-prep did not stage this version"
log "upgrading $node from $running to $target ($mode)"
install_file "$KHA_ARTIFACTS_DIR/bin/kubeadm" "$KHA_BIN_DIR/kubeadm" 0755

preflight=()
if [[ -n "${KHA_IGNORE_PREFLIGHT:-}" ]]; then preflight=(--ignore-preflight-errors "$KHA_IGNORE_PREFLIGHT"); fi
case "$mode" in
  apply)
    # the kubelet settings of this config first (allowCgroupV1 may be new with this version): the
    # upgrade writes every node's kubelet config from the cluster's copy
    kubeadm init phase upload-config kubelet --config "$KHA_KUBEADM_CONFIG" --kubeconfig "$KHA_ADMIN_CONF"
    kubeadm upgrade apply "$target" --yes --certificate-renewal=false "${preflight[@]}"
    ;;
  node | worker)
    kubeadm upgrade node --certificate-renewal=false "${preflight[@]}"
    ;;
esac

if [[ "$mode" != worker ]]; then
  # a node someone else cordoned stays cordoned afterwards: only our own cordon is undone
  if [[ "$(kc get node "$node" -o 'jsonpath={.spec.unschedulable}')" == true && ! -e "$cordoned_mark" ]]; then
    log "$node was cordoned before the upgrade: it stays cordoned after it"
  else
    install -d -m 0755 "$KHA_STATE_DIR"
    touch "$cordoned_mark"
    kc cordon "$node" >/dev/null
  fi
  kc drain "$node" --ignore-daemonsets --delete-emptydir-data --timeout="${KHA_DRAIN_TIMEOUT:-300s}" >/dev/null ||
    die "the drain of $node did not finish within ${KHA_DRAIN_TIMEOUT:-300s} (a PodDisruptionBudget?): it stays cordoned; fix what holds it, or raise upgrade.drainTimeout, and run pulumi up again"
fi
install_file "$KHA_ARTIFACTS_DIR/bin/kubectl" "$KHA_BIN_DIR/kubectl" 0755
install_file "$KHA_ARTIFACTS_DIR/bin/kubelet" "$KHA_BIN_DIR/kubelet" 0755
systemctl daemon-reload
systemctl restart kubelet
wait_for "the Node $node to report kubelet $target and Ready" "${KHA_NODE_TRIES:-90}" 2 node_at_target
if [[ "$mode" != worker ]]; then
  # the new kubelet may restart the static pods: this control plane's apiserver serves again first
  wait_for "this control plane's apiserver to answer ready" "${KHA_NODE_TRIES:-90}" 2 apiserver_answers_ready
  uncordon_self
fi
log "$node runs $target"
