#!/usr/bin/env bash
# Runs on the first control plane around a worker's upgrade: `drain` cordons and drains the worker
# (bounded by upgrade.drainTimeout; a drain that does not finish fails the upgrade of that worker,
# which stays cordoned, rather than evicting past a PodDisruptionBudget), `uncordon` lets it take
# pods again once it runs the new version. A worker that already reports the target version (it
# joined at it, or a repeated run) is not drained; uncordon is always safe to repeat.
#
# Environment: KHA_NODE (the worker), KHA_ACTION (drain|uncordon), KHA_KUBERNETES_VERSION,
# KHA_DRAIN_TIMEOUT (300s), KHA_ROOT (tests).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

: "${KHA_NODE:?}" "${KHA_KUBERNETES_VERSION:?}"
kc() { kubectl --kubeconfig "$KHA_ADMIN_CONF" --request-timeout=10s "$@"; }
timeout="${KHA_DRAIN_TIMEOUT:-300s}"
ANNOTATION=kubeadm-ha.io/cordoned-for-upgrade
ANNOTATION_PATH='kubeadm-ha\.io/cordoned-for-upgrade'   # (jsonpath escapes the dot)
case "${KHA_ACTION:?}" in
  drain)
    version=$(kc get node "$KHA_NODE" -o 'jsonpath={.status.nodeInfo.kubeletVersion}' 2>/dev/null) ||
      die "no Node $KHA_NODE in the cluster: cannot drain it for its upgrade"
    if [[ "$version" == "v$KHA_KUBERNETES_VERSION" ]]; then
      log "$KHA_NODE runs $version already: not drained"
      exit 0
    fi
    # a worker someone else cordoned stays cordoned afterwards: only our own cordon is undone (the
    # annotation says it was ours)
    if [[ "$(kc get node "$KHA_NODE" -o 'jsonpath={.spec.unschedulable}')" == true &&
      -z "$(kc get node "$KHA_NODE" -o "jsonpath={.metadata.annotations.$ANNOTATION_PATH}")" ]]; then
      log "$KHA_NODE was cordoned before the upgrade: it stays cordoned after it"
    else
      kc annotate node "$KHA_NODE" --overwrite "$ANNOTATION=true" >/dev/null
      kc cordon "$KHA_NODE" >/dev/null
    fi
    kc drain "$KHA_NODE" --ignore-daemonsets --delete-emptydir-data --timeout="$timeout" >/dev/null ||
      die "the drain of $KHA_NODE did not finish within $timeout (a PodDisruptionBudget?): it stays cordoned and is not upgraded; fix what holds it, or raise upgrade.drainTimeout, and run pulumi up again"
    log "drained $KHA_NODE for its upgrade from $version"
    ;;
  uncordon)
    if [[ -z "$(kc get node "$KHA_NODE" -o "jsonpath={.metadata.annotations.$ANNOTATION_PATH}")" ]]; then
      log "$KHA_NODE was not cordoned for the upgrade: left as it is"
      exit 0
    fi
    # (retried, bounded: an apiserver that just restarted answers Forbidden until its caches fill)
    wait_for "the uncordon of $KHA_NODE to be accepted" 60 2 kc uncordon "$KHA_NODE"
    kc annotate node "$KHA_NODE" "$ANNOTATION-" >/dev/null
    log "uncordoned $KHA_NODE"
    ;;
  *) die "KHA_ACTION must be drain or uncordon" ;;
esac
