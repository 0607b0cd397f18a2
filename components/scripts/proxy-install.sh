#!/usr/bin/env bash
# Installs the per-node apiserver proxy: makes sure its image is in containerd (imported from
# artifacts, or pulled when KHA_PULL=true), then (re)starts the unit when its config changed and
# waits until localhost answers. Files: nginx.conf and the unit, written by put-files.
#
# Environment: KHA_PROXY_IMAGE, KHA_PULL (true|false), KHA_ROOT (tests).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

: "${KHA_PROXY_IMAGE:?}"
# (the list is captured first: `ctr ... | grep -q` would fail under pipefail when grep stops early)
images=$(ctr -n k8s.io images ls -q)
if ! grep -qxF "$KHA_PROXY_IMAGE" <<< "$images"; then
  [[ "${KHA_PULL:-false}" == true ]] || die "image $KHA_PROXY_IMAGE is not in containerd (add its tar to artifacts, or use artifacts.source: release)"
  log "pulling $KHA_PROXY_IMAGE"
  ctr -n k8s.io images pull "$KHA_PROXY_IMAGE" >/dev/null
fi

systemctl daemon-reload
systemctl enable "$KHA_PROXY_UNIT" >/dev/null 2>&1
if config_changed apiserver-proxy "$KHA_PROXY_CONFIG_DIR/nginx.conf" \
  "$KHA_PROXY_UNIT_FILE"; then
  log "configuration changed: restarting the proxy"
  systemctl restart "$KHA_PROXY_UNIT"
else
  systemctl start "$KHA_PROXY_UNIT"
fi
proxy_up() { curl -fsS --max-time 2 "http://127.0.0.1:$KHA_PROXY_HEALTH_PORT/healthz" >/dev/null 2>&1; }
wait_for "the apiserver proxy on localhost" 30 1 proxy_up
log "apiserver proxy serving on 127.0.0.1"
