#!/usr/bin/env bash
# Runs on the first control plane when a worker leaves the cluster (its resources are destroyed:
# removed from the config, or `pulumi destroy`), before the worker's own reset: cordons it, drains
# it (bounded: a PodDisruptionBudget that never allows the eviction cannot hold the change up
# forever) and deletes its Node, so nothing stays scheduled on a host that is about to be wiped.
# An API that does not answer here (the whole cluster going) skips it with a warning.
#
# Environment: KHA_LEAVING (the node), KHA_DRAIN_TIMEOUT (120s).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

: "${KHA_LEAVING:?}"
kc() { kubectl --kubeconfig "$KHA_ADMIN_CONF" --request-timeout=10s "$@"; }
if [[ ! -f "$KHA_ADMIN_CONF" ]] || ! kc get --raw /readyz >/dev/null 2>&1; then
  log "WARNING: the API does not answer on this control plane: $KHA_LEAVING is not drained and its Node stays"
  exit 0
fi
if ! kc get node "$KHA_LEAVING" >/dev/null 2>&1; then
  log "no Node $KHA_LEAVING: nothing to drain"
  exit 0
fi
timeout="${KHA_DRAIN_TIMEOUT:-120s}"
kc cordon "$KHA_LEAVING" >/dev/null
if kc drain "$KHA_LEAVING" --ignore-daemonsets --delete-emptydir-data --timeout="$timeout" >/dev/null; then
  log "drained $KHA_LEAVING"
else
  log "WARNING: the drain of $KHA_LEAVING did not finish within $timeout (a PodDisruptionBudget?); deleting its Node anyway"
fi
kc delete node "$KHA_LEAVING" --wait=false >/dev/null
log "deleted the Node $KHA_LEAVING"
