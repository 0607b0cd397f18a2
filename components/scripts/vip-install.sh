#!/usr/bin/env bash
# apiEndpoint: vip. Installs keepalived on a control plane (OS package when allowed) with the
# config put-files wrote, and (re)starts it when the config changed. Runs before kubeadm, so the
# first control plane holds the VIP while its apiserver comes up.
#
# Environment: KHA_INSTALL_PACKAGES (true|false), KHA_ROOT (tests).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

if ! command -v keepalived >/dev/null 2>&1; then
  [[ "${KHA_INSTALL_PACKAGES:-false}" == true ]] || die "keepalived is not installed (install it, or use artifacts.source: release)"
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q keepalived >/dev/null
fi
systemctl enable keepalived.service >/dev/null 2>&1 || true
if config_changed keepalived "$KHA_KEEPALIVED_CONF"; then
  systemctl restart keepalived.service
  log "keepalived (re)started"
else
  systemctl start keepalived.service
fi
