#!/usr/bin/env bash
# Runs on the first control plane once a node has joined: deletes the bootstrap token that node
# joined with, so no credential outlives its one use. A token already gone (expired after its
# 30 minutes, or deleted by an earlier run) is fine.
#
# Environment: KHA_TOKEN_ID (the token's public id, its first six characters), KHA_FOR (the node).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

: "${KHA_TOKEN_ID:?}" "${KHA_FOR:?}"
if [[ ! "$KHA_TOKEN_ID" =~ ^[a-z0-9]{6}$ ]]; then
  echo "kubeadm-token-delete: '$KHA_TOKEN_ID' is not a bootstrap token id" >&2
  exit 2
fi
# (the first column is the whole token: it is matched here, never printed)
# (grep, not awk: mawk has no {n} intervals)
tokens=$(kubeadm token list --kubeconfig "$KHA_ADMIN_CONF" | grep -Eo '^[a-z0-9]{6}[.][a-z0-9]{16}' || true)
if grep -q "^$KHA_TOKEN_ID\." <<<"$tokens"; then
  kubeadm token delete --kubeconfig "$KHA_ADMIN_CONF" "$KHA_TOKEN_ID" >/dev/null
  log "deleted the bootstrap token $KHA_FOR joined with"
else
  log "the bootstrap token $KHA_FOR joined with is already gone"
fi
