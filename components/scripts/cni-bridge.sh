#!/usr/bin/env bash
# Installs the `bridge` CNI's sync loop on a node (see pod-network-sync.sh): the script, a oneshot
# service and a 10-second timer, then runs one sync at once. Files written by put-files.
#
# Environment: KHA_ROOT (tests).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

install_file "$(dirname "$0")/pod-network-sync.sh" "$KHA_ROOT/usr/local/lib/kubeadm-ha/pod-network-sync.sh" 0755
systemctl daemon-reload
systemctl enable --now kubeadm-ha-pod-network.timer >/dev/null 2>&1
systemctl start kubeadm-ha-pod-network.service || log "first sync failed; the timer retries"
log "bridge pod network installed"
