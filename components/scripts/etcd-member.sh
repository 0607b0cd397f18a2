#!/usr/bin/env bash
# How an etcd member first starts, decided on the host when it has no data yet (sourced by
# etcd-install.sh; never run on its own). The cluster, not the stack config, says what exists:
#   - another member answers healthy (a cluster with quorum runs): this member joins it.
#     If the list holds this member's peer URL as a started member, the host lost its data (wiped,
#     replaced): that member is removed first. Unless the list holds it still unstarted, it is added
#     as a learner (`member add --learner`), started with initial-cluster-state=existing, and promoted
#     once it caught up; one learner at a time, so a second new member waits its turn (bounded).
#   - nobody answers: the configured members bootstrap a new cluster together (state new).
# So a member added by config never forms a second, empty cluster, and no step creates a new
# cluster over a running one.
#
# Environment: KHA_ETCD_NAME, KHA_ETCD_PEER_URL, KHA_ETCD_INITIAL_CLUSTER (name=peerURL,... of the
# configured members), KHA_ETCD_JOIN_TRIES (90), KHA_ETCD_JOIN_DELAY (2 s), KHA_ETCD_RESTART_TIMEOUT (600 s).
# Also run on its own as `etcd-member.sh restart-and-wait` (restart_in_turn's turn).
# shellcheck shell=bash

# what etcd answers to a membership change while another one settles: worth waiting for
ETCD_RECONFIG_BUSY='too many learner members|unhealthy cluster|not enough started members|request timed out|leader changed'

# the other configured members' client URLs, one per line
other_endpoints() {
  tr ',' '\n' <<<"$KHA_ETCD_INITIAL_CLUSTER" | cut -d= -f2- | grep -vxF "$KHA_ETCD_PEER_URL" | sed 's#:2380$#:2379#' || true
}

# etcdctl_at ENDPOINTS ARGS...: with the member's own client certificate
etcdctl_at() {
  ETCDCTL_API=3 etcdctl --endpoints="$1" --cacert="$KHA_ETCD_PKI_DIR/ca.crt" \
    --cert="$KHA_ETCD_PKI_DIR/healthcheck-client.crt" --key="$KHA_ETCD_PKI_DIR/healthcheck-client.key" \
    --command-timeout=5s "${@:2}"
}

# etcd_others ARGS...: against every other configured member
etcd_others() { etcdctl_at "$(other_endpoints | paste -sd, -)" "$@"; }

# a running cluster is one with quorum: `endpoint health` reads through raft, so a member that is
# up but still waiting for its peers (a bootstrap in progress) does not count. Prints the endpoint.
healthy_other() {
  local endpoint
  while read -r endpoint; do
    [[ -n "$endpoint" ]] || continue
    if etcdctl_at "$endpoint" endpoint health >/dev/null 2>&1; then
      echo "$endpoint"
      return 0
    fi
  done < <(other_endpoints)
  return 1
}

# initial_cluster_of MEMBER-LIST: name=peerURL of every member, as etcd wants it to join: this
# member under its own name, others unstarted under none (what `etcdctl member add` prints too)
initial_cluster_of() {
  local id name peers _ out=()
  # "id, started|unstarted, name, peerURLs, clientURLs, isLearner"; an unstarted member has no name
  while IFS=', ' read -r id _ name peers _; do
    [[ -n "$id" ]] || continue
    if [[ "$peers" == "$KHA_ETCD_PEER_URL" ]]; then name=$KHA_ETCD_NAME; fi
    out+=("$name=$peers")
  done <<<"$1"
  (IFS=,; echo "${out[*]}")
}

# member_line MEMBER-LIST: the list's line for this member's peer URL, if any
member_line() { grep -F ", $KHA_ETCD_PEER_URL," <<<"$1" || true; }

# decide_initial_state: writes KHA_ETCD_INITIAL_ENV; sets LEARNER_ID when a learner must be promoted
decide_initial_state() {
  LEARNER_ID=""
  local members line id status initial added try running
  if ! running=$(healthy_other) || ! members=$(etcdctl_at "$running" member list 2>/dev/null); then
    log "no other member serves a cluster with quorum: bootstrapping a new cluster with $KHA_ETCD_INITIAL_CLUSTER"
    write_initial_env new "$KHA_ETCD_INITIAL_CLUSTER"
    return 0
  fi
  line=$(member_line "$members")
  if [[ -n "$line" ]]; then
    IFS=', ' read -r id status _ <<<"$line"
    if [[ "$status" == started ]]; then
      log "the cluster lists this host ($KHA_ETCD_PEER_URL) as a started member, but its data is gone: replacing member $id"
      etcd_others member remove "$id" >/dev/null
      line=""
    else
      log "the running cluster lists this member already (not started yet): joining it"
      write_initial_env existing "$(initial_cluster_of "$members")"
      [[ "$line" != *", true" ]] || LEARNER_ID=$id
      return 0
    fi
  fi
  for ((try = 1; try <= ${KHA_ETCD_JOIN_TRIES:-90}; try++)); do
    if added=$(etcd_others member add "$KHA_ETCD_NAME" --peer-urls="$KHA_ETCD_PEER_URL" --learner 2>"$KHA_STATE_DIR/etcd-add.err"); then
      # ("Member %16x added": an id with leading zeros is padded with spaces)
      LEARNER_ID=$(grep -Eo 'Member +[0-9a-f]+ added' <<<"$added" | awk '{print $2}' || true)
      initial=$(sed -n 's/^ETCD_INITIAL_CLUSTER="\(.*\)"$/\1/p' <<<"$added")
      [[ -n "$LEARNER_ID" && -n "$initial" ]] || die "etcdctl member add printed no member id or initial cluster: $added"
      log "added as learner $LEARNER_ID to the running cluster"
      write_initial_env existing "$initial"
      return 0
    fi
    # etcd takes one learner at a time, and (strict reconfiguration) only while the leader has heard
    # from every voting member for a few seconds: both pass once the member before this one is in
    grep -Eq "$ETCD_RECONFIG_BUSY" "$KHA_STATE_DIR/etcd-add.err" ||
      die "etcdctl member add failed: $(cat "$KHA_STATE_DIR/etcd-add.err")"
    log "the cluster is taking another member in ($(grep -Eo "$ETCD_RECONFIG_BUSY" "$KHA_STATE_DIR/etcd-add.err" | head -n1)); waiting ($try)"
    sleep "${KHA_ETCD_JOIN_DELAY:-2}"
  done
  die "gave up waiting for the other new member to finish joining"
}

write_initial_env() {
  install -d -m 0755 "$(dirname "$KHA_ETCD_INITIAL_ENV")"
  printf 'ETCD_INITIAL_CLUSTER_STATE=%s\nETCD_INITIAL_CLUSTER=%s\n' "$1" "$2" >"$KHA_ETCD_INITIAL_ENV.kha-new"
  mv -f "$KHA_ETCD_INITIAL_ENV.kha-new" "$KHA_ETCD_INITIAL_ENV"
}

# promote_learner ID: a learner becomes a voting member once it caught up with the leader (bounded)
promote_learner() {
  local try
  for ((try = 1; try <= ${KHA_ETCD_JOIN_TRIES:-90}; try++)); do
    if etcd_others member promote "$1" >/dev/null 2>&1; then
      log "promoted to a voting member"
      return 0
    fi
    sleep "${KHA_ETCD_JOIN_DELAY:-2}"
  done
  die "learner $1 did not catch up with the leader in time; the next run retries (etcdctl member list shows it)"
}

# restart_in_turn: restarts this running member, one member of the cluster at a time: the turn is
# an etcd lock (`etcdctl lock`, through the other members) held until this member answers healthy
# again, so members whose config changed in the same run never restart together and quorum holds.
# Without another healthy member there is no quorum to keep: it restarts at once. Bounded.
restart_in_turn() {
  local others
  if ! healthy_other >/dev/null; then
    log "configuration changed: restarting etcd (no other healthy member to wait for)"
    systemctl restart etcd.service
    return 0
  fi
  others=$(other_endpoints | paste -sd, -)
  log "configuration changed: restarting etcd when it is this member's turn"
  ETCDCTL_API=3 timeout "${KHA_ETCD_RESTART_TIMEOUT:-600}" etcdctl --endpoints="$others" --cacert="$KHA_ETCD_PKI_DIR/ca.crt" \
    --cert="$KHA_ETCD_PKI_DIR/healthcheck-client.crt" --key="$KHA_ETCD_PKI_DIR/healthcheck-client.key" \
    lock kubeadm-ha-etcd-restart bash "${BASH_SOURCE[0]}" restart-and-wait ||
    die "etcd did not restart healthy in its turn (bounded ${KHA_ETCD_RESTART_TIMEOUT:-600} s): see journalctl -u etcd"
  log "etcd restarted in its turn and is healthy"
}

# (run as `etcd-member.sh restart-and-wait` under the lock: restart, then wait for this member)
if [[ "${BASH_SOURCE[0]}" == "$0" && "${1:-}" == restart-and-wait ]]; then
  set -euo pipefail
  # shellcheck source=lib.sh
  source "$(dirname "$0")/lib.sh"
  systemctl restart etcd.service
  self_healthy() { etcdctl_at "https://127.0.0.1:2379" endpoint health >/dev/null 2>&1; }
  wait_for "this etcd member to answer healthy after its restart" "${KHA_ETCD_JOIN_TRIES:-90}" "${KHA_ETCD_JOIN_DELAY:-2}" self_healthy
fi
