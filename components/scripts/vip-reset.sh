#!/usr/bin/env bash
# Removes kubeadm-ha's keepalived configuration and stops keepalived. Safe to run twice.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

systemctl disable --now keepalived.service >/dev/null 2>&1 || true
rm -f "$KHA_KEEPALIVED_CONF" "$KHA_STATE_DIR/keepalived.sum"
log "keepalived stopped and unconfigured"
