#!/usr/bin/env bash
# Installs and starts etcd as a host service. The unit, /etc/etcd.env and the member's
# certificates were already written by put-files. Keeps /var/lib/etcd across re-runs; restarts
# etcd only when its binary, environment, unit or CA changed, one member of the cluster at a time
# (restart_in_turn); renewed certificates need no restart. A member without data
# decides how it first starts from what the running cluster says (etcd-member.sh): it bootstraps a
# new cluster with the other configured members, or joins the running one as a learner and is
# promoted before this step succeeds.
#
# Environment: KHA_ETCD_VERSION (e.g. 3.5.21), KHA_ETCD_URL (release tarball URL; empty when
# air-gapped and the binaries were copied to /opt/kubeadm-ha/artifacts/bin), KHA_ETCD_NAME,
# KHA_ETCD_PEER_URL, KHA_ETCD_INITIAL_CLUSTER (see etcd-member.sh), KHA_ROOT (tests).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=etcd-member.sh
source "$(dirname "$0")/etcd-member.sh"

: "${KHA_ETCD_VERSION:?}" "${KHA_ETCD_NAME:?}" "${KHA_ETCD_PEER_URL:?}" "${KHA_ETCD_INITIAL_CLUSTER:?}"
bin="$KHA_BIN_DIR"

if [[ ! -s "$KHA_ARTIFACTS_DIR/bin/etcd" || ! -s "$KHA_ARTIFACTS_DIR/bin/etcdctl" ]]; then
  [[ -n "${KHA_ETCD_URL:-}" ]] || die "etcd binaries missing in $KHA_ARTIFACTS_DIR/bin and no KHA_ETCD_URL"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  log "downloading etcd $KHA_ETCD_VERSION"
  curl -fsSL --retry 3 --connect-timeout 20 -o "$work/etcd.tar.gz" "$KHA_ETCD_URL"
  # etcd publishes one SHA256SUMS beside its release tarballs
  sums_url="${KHA_ETCD_URL%/*}/SHA256SUMS"
  curl -fsSL --retry 3 --connect-timeout 20 -o "$work/SHA256SUMS" "$sums_url" ||
    die "no checksums published at $sums_url: refusing an unverified etcd (mirror SHA256SUMS too, or use artifacts.source: local)"
  verify_sha256 "$work/etcd.tar.gz" "$(awk -v f="${KHA_ETCD_URL##*/}" '$2 == f { print $1 }' "$work/SHA256SUMS")" "$KHA_ETCD_URL"
  tar -xzf "$work/etcd.tar.gz" -C "$work" --strip-components=1
  install -d -m 0755 "$KHA_ARTIFACTS_DIR/bin"
  install -m 0755 "$work/etcd" "$work/etcdctl" "$KHA_ARTIFACTS_DIR/bin/"
fi
install_file "$KHA_ARTIFACTS_DIR/bin/etcd" "$bin/etcd" 0755
install_file "$KHA_ARTIFACTS_DIR/bin/etcdctl" "$bin/etcdctl" 0755

install -d -m 0700 "$KHA_ETCD_DATA_DIR"
pki="$KHA_ETCD_PKI_DIR"
for f in ca.crt server.crt server.key peer.crt peer.key healthcheck-client.crt healthcheck-client.key; do
  [[ -s "$pki/$f" ]] || die "missing $pki/$f (the PKI step did not deliver it)"
done

LEARNER_ID=""
if [[ ! -d "$KHA_ETCD_DATA_DIR/member" ]]; then
  install -d -m 0755 "$KHA_STATE_DIR"
  decide_initial_state
fi

# What needs a restart (binary, environment, unit, the CA etcd trusts) and what does not: etcd
# reads its own certificate and key again on every new connection, so renewed ones need none.
service=("$bin/etcd" "$KHA_ETCD_ENV" "$KHA_ETCD_UNIT_FILE" "$pki/ca.crt")
certs=("$pki/server.crt" "$pki/server.key" "$pki/peer.crt" "$pki/peer.key")
# (hosts set up by a release that recorded one checksum over both: taken over without a restart)
if [[ ! -f "$KHA_STATE_DIR/etcd-service.sum" && -f "$KHA_STATE_DIR/etcd.sum" &&
  "$(cat "$KHA_STATE_DIR/etcd.sum")" == "$(files_sum "$bin/etcd" "$KHA_ETCD_ENV" "$KHA_ETCD_UNIT_FILE" "$pki/ca.crt" "${certs[@]}")" ]]; then
  config_record etcd-service "${service[@]}"
  config_record etcd-certs "${certs[@]}"
fi
rm -f "$KHA_STATE_DIR/etcd.sum"

systemctl daemon-reload
systemctl enable etcd.service >/dev/null 2>&1
if ! systemctl is-active -q etcd.service; then
  # --no-block: a new member only reports ready once a quorum of peers runs; the health gate waits.
  systemctl start --no-block etcd.service
  log "etcd started"
elif config_pending etcd-service "${service[@]}"; then
  restart_in_turn
else
  log "etcd unchanged"
fi
config_record etcd-service "${service[@]}"
if config_changed etcd-certs "${certs[@]}"; then log "certificates renewed: etcd serves them from its next connection on"; fi
if [[ -n "$LEARNER_ID" ]]; then promote_learner "$LEARNER_ID"; fi
