#!/usr/bin/env bash
# Health gate: waits (bounded) until every etcd member answers healthy over TLS with the
# healthcheck client certificate, then prints the member list.
#
# Environment: KHA_ETCD_ENDPOINTS (comma-separated https URLs), KHA_TRIES (default 90),
# KHA_DELAY (seconds, default 2).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

: "${KHA_ETCD_ENDPOINTS:?}"
pki="$KHA_ETCD_PKI_DIR"
etcdctl_tls() {
  ETCDCTL_API=3 etcdctl --endpoints="$KHA_ETCD_ENDPOINTS" --cacert="$pki/ca.crt" \
    --cert="$pki/healthcheck-client.crt" --key="$pki/healthcheck-client.key" --command-timeout=5s "$@"
}
all_healthy() { etcdctl_tls endpoint health >/dev/null 2>&1; }

wait_for "every etcd member healthy ($KHA_ETCD_ENDPOINTS)" "${KHA_TRIES:-90}" "${KHA_DELAY:-2}" all_healthy
etcdctl_tls endpoint health
etcdctl_tls member list --write-out=table
