#!/usr/bin/env bash
# Removes etcd from a host: stops and disables the unit, deletes data, unit, environment,
# certificates and the binaries kubeadm-ha installed. Safe to run twice.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

if systemctl list-unit-files etcd.service >/dev/null 2>&1; then
  systemctl disable --now etcd.service >/dev/null 2>&1 || true
fi
rm -rf "$KHA_ROOT/var/lib/etcd" "$KHA_ROOT/etc/kubernetes/pki/etcd"
rm -f "$KHA_ROOT/etc/systemd/system/etcd.service" "$KHA_ROOT/etc/etcd.env" \
  "$KHA_ROOT/usr/local/bin/etcd" "$KHA_ROOT/usr/local/bin/etcdctl" "$KHA_STATE_DIR/etcd.sum"
systemctl daemon-reload || true
log "etcd removed"
