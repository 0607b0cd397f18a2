#!/usr/bin/env bash
# First control plane, bridge CNI: applies the RBAC that lets nodes list nodes (see
# renderPodNetworkRbac). The manifest was written by put-files. Idempotent (kubectl apply).
#
# Environment: KHA_ROOT (tests).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

kubectl --kubeconfig "$KHA_ADMIN_CONF" apply -f "$KHA_POD_NETWORK_RBAC"
log "nodes may list nodes (bridge pod network)"
