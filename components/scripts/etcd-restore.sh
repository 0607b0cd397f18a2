#!/usr/bin/env bash
# Restores etcd from a snapshot: the way back after every member lost its data (or after a change
# that must be undone). Three steps, each on every host it names (README, "etcd restore"):
#   1. every control plane:  etcd-restore.sh stop-control-plane   (its apiserver, controller-manager
#      and scheduler stop: their manifests are held aside, so nothing writes while etcd goes back)
#   2. every etcd member:    etcd-restore.sh                      (the same snapshot file on each,
#      all at once: each restores it as a member of a new cluster made of KHA_ETCD_INITIAL_CLUSTER,
#      its old data kept aside, and starts etcd; they find each other once a quorum of them ran it)
#   3. every control plane:  etcd-restore.sh start-control-plane  (the manifests back; waits for
#      the apiserver to answer ready on the restored data, no cache of the old data anywhere)
#
# Environment (step 2): KHA_SNAPSHOT (the .db file on this host), KHA_ETCD_INITIAL_CLUSTER
# (name=peerURL,... of every member: the stack output etcdInitialCluster); KHA_ROOT (tests).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

held="$KHA_STATE_DIR/restore-held-manifests"
components=(kube-apiserver kube-controller-manager kube-scheduler)
component_gone() { [[ -z "$(component_pid "$1")" ]]; }
apiserver_ready() { [[ -n "$(apiserver_pid)" ]] && apiserver_answers_ready; }
case "${1:-}" in
  stop-control-plane)
    [[ -f "$KHA_MANIFESTS_DIR/kube-apiserver.yaml" || -d "$held" ]] || die "no control plane on this host (no kube-apiserver manifest)"
    install -d -m 0700 "$held"
    for component in "${components[@]}"; do
      if [[ -f "$KHA_MANIFESTS_DIR/$component.yaml" ]]; then mv -f "$KHA_MANIFESTS_DIR/$component.yaml" "$held/"; fi
    done
    for component in "${components[@]}"; do
      wait_for "$component to stop" "${KHA_STATIC_POD_TRIES:-60}" 2 component_gone "$component"
    done
    log "the control plane is stopped for the restore (manifests held in ${held#"$KHA_ROOT"})"
    exit 0
    ;;
  start-control-plane)
    [[ -d "$held" ]] || die "no manifests held for a restore on this host (run stop-control-plane first)"
    for component in "${components[@]}"; do
      if [[ -f "$held/$component.yaml" ]]; then mv -f "$held/$component.yaml" "$KHA_MANIFESTS_DIR/"; fi
    done
    rmdir "$held"
    wait_for "the apiserver to answer ready on the restored data" "${KHA_APISERVER_RESTART_TRIES:-90}" 2 apiserver_ready
    log "the control plane runs again on the restored data"
    exit 0
    ;;
  "") ;;
  *) die "unknown step $1 (stop-control-plane, start-control-plane, or none: restore this etcd member)" ;;
esac

: "${KHA_SNAPSHOT:?the snapshot file to restore}" "${KHA_ETCD_INITIAL_CLUSTER:?name=peerURL,... of every etcd member}"
[[ -s "$KHA_SNAPSHOT" ]] || die "no snapshot at $KHA_SNAPSHOT"
if [[ -f "$KHA_SNAPSHOT.sha256" ]]; then
  verify_sha256 "$KHA_SNAPSHOT" "$(cut -d' ' -f1 <"$KHA_SNAPSHOT.sha256")" "$KHA_SNAPSHOT"
fi
env_value() { sed -n "s/^$1=//p" "$KHA_ETCD_ENV" | tail -n1; }
name=$(env_value ETCD_NAME)
peer=$(env_value ETCD_INITIAL_ADVERTISE_PEER_URLS)
# A new identity for the restored cluster: with the old token the restored members would get the
# old cluster and member ids, and a member not yet restored (still on the old data, with a longer
# raft log) would be taken for one of them and replay the old log onto the restored ones. Derived
# from the snapshot, so every member computes the same; a member of the old cluster is refused.
token="$(env_value ETCD_INITIAL_CLUSTER_TOKEN)-restore-$(sha256sum <"$KHA_SNAPSHOT" | cut -c1-12)"
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
log "etcd member $name restored from $KHA_SNAPSHOT and started (cluster token $token)"
