#!/usr/bin/env bash
# Installs the `bridge` CNI's sync loop on a node (see pod-network-sync.sh): the script, a oneshot
# service and a 10-second timer, then runs one sync at once. Files written by put-files.
#
# Environment: KHA_ROOT (tests).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

install_file "$(dirname "$0")/layout.sh" "$KHA_LIB_DIR/layout.sh" 0644
install_file "$(dirname "$0")/pod-network-sync.sh" "$KHA_LIB_DIR/pod-network-sync.sh" 0755
systemctl daemon-reload
systemctl enable --now "$KHA_POD_NETWORK_UNIT.timer" >/dev/null 2>&1
systemctl start "$KHA_POD_NETWORK_UNIT.service" || log "first sync failed; the timer retries"
log "bridge pod network installed"
