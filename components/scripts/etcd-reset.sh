#!/usr/bin/env bash
# Removes etcd from a host: stops and disables the unit, deletes data, unit, environment,
# certificates and the binaries kubeadm-ha installed. Safe to run twice.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

if systemctl list-unit-files etcd.service >/dev/null 2>&1; then
  systemctl disable --now etcd.service >/dev/null 2>&1 || true
fi
rm -rf "$KHA_ETCD_DATA_DIR" "$KHA_ETCD_PKI_DIR"
rm -f "$KHA_ETCD_UNIT_FILE" "$KHA_ETCD_ENV" "$KHA_ETCD_INITIAL_ENV" \
  "$KHA_BIN_DIR/etcd" "$KHA_BIN_DIR/etcdctl" "$KHA_STATE_DIR/etcd.sum" "$KHA_STATE_DIR/etcd-service.sum" "$KHA_STATE_DIR/etcd-certs.sum"
# (what a Kubernetes reset left for this member, now empty)
rmdir "$KHA_PKI_DIR" "$KHA_KUBERNETES_DIR" "$KHA_CONFIG_DIR" 2>/dev/null || true
systemctl daemon-reload || true
log "etcd removed"
