#!/usr/bin/env bash
# Restores this host's etcd member from a snapshot: the way back after every member lost its data
# (or after a change that must be undone). Run it on every etcd member with the same snapshot file
# (README, "etcd snapshots and restore"): each one restores the snapshot as a member of a new
# cluster made of KHA_ETCD_INITIAL_CLUSTER, its old data kept aside, and starts etcd; the members
# find each other once a quorum of them ran it. On a control plane it then restarts the apiserver,
# controller-manager and scheduler, so none keeps serving from a cache newer than the snapshot.
#
# Environment: KHA_SNAPSHOT (the .db file on this host), KHA_ETCD_INITIAL_CLUSTER (name=peerURL,...
# of every member: the stack output etcdInitialCluster), KHA_ROOT (tests).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

: "${KHA_SNAPSHOT:?the snapshot file to restore}" "${KHA_ETCD_INITIAL_CLUSTER:?name=peerURL,... of every etcd member}"
[[ -s "$KHA_SNAPSHOT" ]] || die "no snapshot at $KHA_SNAPSHOT"
if [[ -f "$KHA_SNAPSHOT.sha256" ]]; then
  verify_sha256 "$KHA_SNAPSHOT" "$(cut -d' ' -f1 <"$KHA_SNAPSHOT.sha256")" "$KHA_SNAPSHOT"
fi
env_value() { sed -n "s/^$1=//p" "$KHA_ETCD_ENV" | tail -n1; }
name=$(env_value ETCD_NAME)
peer=$(env_value ETCD_INITIAL_ADVERTISE_PEER_URLS)
token=$(env_value ETCD_INITIAL_CLUSTER_TOKEN)
[[ -n "$name" && -n "$peer" ]] || die "$KHA_ETCD_ENV does not name this member: is this an etcd host?"
[[ ",$KHA_ETCD_INITIAL_CLUSTER," == *",$name=$peer,"* ]] ||
  die "this member ($name=$peer) is not in KHA_ETCD_INITIAL_CLUSTER ($KHA_ETCD_INITIAL_CLUSTER)"
ETCDCTL_API=3 etcdctl snapshot status "$KHA_SNAPSHOT" >/dev/null 2>&1 || die "$KHA_SNAPSHOT is not a valid etcd snapshot"

data=$KHA_ETCD_DATA_DIR
restoring="$data.restoring"
rm -rf "$restoring"
ETCDCTL_API=3 etcdctl snapshot restore "$KHA_SNAPSHOT" --name="$name" --initial-cluster="$KHA_ETCD_INITIAL_CLUSTER" \
  --initial-cluster-token="$token" --initial-advertise-peer-urls="$peer" --data-dir="$restoring" >/dev/null
systemctl stop etcd.service
if [[ -d "$data" ]]; then
  aside="$data.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
  mv "$data" "$aside"
  log "the member's previous data is kept at ${aside#"$KHA_ROOT"}"
fi
mv "$restoring" "$data"
chmod 0700 "$data"
systemctl start --no-block etcd.service
log "etcd member $name restored from $KHA_SNAPSHOT and started"

if [[ -f "$KHA_MANIFESTS_DIR/kube-apiserver.yaml" ]]; then
  for component in kube-apiserver kube-controller-manager kube-scheduler; do
    mapfile -t ids < <(crictl ps --name "^$component\$" -q 2>/dev/null)
    if ((${#ids[@]} > 0)); then crictl stop "${ids[@]}" >/dev/null; fi
  done
  log "the control-plane components restart (the kubelet brings them back) on the restored data"
fi
