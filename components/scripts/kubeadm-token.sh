#!/usr/bin/env bash
# Runs on the first control plane when a node needs to join: creates a bootstrap token that
# expires on its own (no token lives forever) and prints only the token (kept secret by Pulumi).
#
# Environment: KHA_FOR (the joining node, for the token's description), KHA_TOKEN_TTL (30m).
set -euo pipefail
# shellcheck source=layout.sh
source "$(dirname "$0")/layout.sh"

: "${KHA_FOR:?}"
kubeadm token create --kubeconfig "$KHA_ADMIN_CONF" \
  --ttl "${KHA_TOKEN_TTL:-30m}" --description "kubeadm-ha join of $KHA_FOR"
