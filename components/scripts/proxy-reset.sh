#!/usr/bin/env bash
# Removes the per-node apiserver proxy (unit, config, state). Safe to run twice.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

systemctl disable --now "$KHA_PROXY_UNIT" >/dev/null 2>&1 || true
rm -rf "$KHA_PROXY_CONFIG_DIR" "$KHA_PROXY_UNIT_FILE" \
  "$KHA_STATE_DIR/apiserver-proxy.sum"
systemctl daemon-reload || true
log "apiserver proxy removed"
