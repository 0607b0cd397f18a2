#!/usr/bin/env bash
# Health gate, and where membership follows the config: waits (bounded) until every configured
# member answers healthy over TLS; then removes, one at a time, each member the config no longer
# lists, but only while the members left keep a quorum (their hosts are reset after this, by the
# removed members' own reset steps); then checks that every endpoint reports one cluster ID and
# that the member list is exactly the configured members, all voting. Prints the member list.
#
# Environment: KHA_ETCD_ENDPOINTS (comma-separated https URLs), KHA_ETCD_MEMBERS (name=peerURL,...
# of the configured members), KHA_TRIES (default 90), KHA_DELAY (seconds, default 2).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

: "${KHA_ETCD_ENDPOINTS:?}" "${KHA_ETCD_MEMBERS:?}"
pki="$KHA_ETCD_PKI_DIR"
etcdctl_tls() {
  ETCDCTL_API=3 etcdctl --endpoints="$KHA_ETCD_ENDPOINTS" --cacert="$pki/ca.crt" \
    --cert="$pki/healthcheck-client.crt" --key="$pki/healthcheck-client.key" --command-timeout=5s "$@"
}
all_healthy() { etcdctl_tls endpoint health >/dev/null 2>&1; }

wait_for "every etcd member healthy ($KHA_ETCD_ENDPOINTS)" "${KHA_TRIES:-90}" "${KHA_DELAY:-2}" all_healthy
etcdctl_tls endpoint health

configured_peers=$(tr ',' '\n' <<<"$KHA_ETCD_MEMBERS" | cut -d= -f2- | sort)

# healthy_except PEER-URL: how many members other than that one answer healthy right now
healthy_except() {
  local n=0 client
  while IFS=', ' read -r _ _ _ peer client _; do
    [[ -n "$peer" && "$peer" != "$1" && -n "$client" ]] || continue
    if ETCDCTL_API=3 etcdctl --endpoints="$client" --cacert="$pki/ca.crt" --cert="$pki/healthcheck-client.crt" \
      --key="$pki/healthcheck-client.key" --command-timeout=5s endpoint health >/dev/null 2>&1; then n=$((n + 1)); fi
  done < <(etcdctl_tls member list)
  echo "$n"
}

# members the config dropped ("id, status, name, peerURLs, clientURLs, isLearner"), one at a time
removed=0
while IFS=', ' read -r id _ name peers _; do
  [[ -n "$id" ]] || continue
  grep -qxF "$peers" <<<"$configured_peers" && continue
  members_after=$(($(etcdctl_tls member list | grep -c .) - 1))
  healthy_after=$(healthy_except "$peers")
  if ((healthy_after < members_after / 2 + 1)); then
    die "not removing etcd member ${name:-$id} ($peers): $healthy_after of the $members_after members left answer, below quorum; bring them back first"
  fi
  log "removing etcd member ${name:-$id} ($peers): the config no longer lists it"
  # (strict reconfiguration refuses while the leader has not heard from a quorum for a few seconds,
  # e.g. right after the member before this one: wait, bounded)
  # (a try that timed out here may have gone through there: gone from the list is done)
  remove_member() { etcdctl_tls member remove "$1" >/dev/null 2>&1 || ! etcdctl_tls member list | grep -q "^$1, "; }
  wait_for "etcd to accept the removal of ${name:-$id}" "${KHA_TRIES:-90}" "${KHA_DELAY:-2}" remove_member "$id"
  removed=$((removed + 1))
done < <(etcdctl_tls member list)

# a member removed may have been the leader: the others elect a new one first (bounded)
if ((removed > 0)); then
  wait_for "every etcd member healthy after the removal" "${KHA_TRIES:-90}" "${KHA_DELAY:-2}" all_healthy
fi

# one cluster, exactly the configured members, all voting
status_json() { etcdctl_tls endpoint status --write-out=json 2>/dev/null; }
status_answers() { status_json >/dev/null; }
wait_for "every etcd member's status" "${KHA_TRIES:-90}" "${KHA_DELAY:-2}" status_answers
ids=$(status_json | grep -Eo '"cluster_id":[0-9]+' | sort -u)
[[ $(grep -c . <<<"$ids") == 1 ]] || die "the endpoints report different cluster IDs ($(paste -sd' ' <<<"$ids")): members of two clusters"
list=$(etcdctl_tls member list)
actual_peers=$(awk -F', ' '{print $4}' <<<"$list" | sort)
[[ "$actual_peers" == "$configured_peers" ]] ||
  die "the member list ($(paste -sd' ' <<<"$actual_peers")) is not the configured one ($(paste -sd' ' <<<"$configured_peers"))"
if awk -F', ' '$2 != "started" || $6 != "false"' <<<"$list" | grep -q .; then
  die "a member is not started or still a learner: $(awk -F', ' '$2 != "started" || $6 != "false"' <<<"$list" | paste -sd';' -)"
fi
log "one cluster ($(cut -d: -f2 <<<"$ids")), members as configured"
etcdctl_tls member list --write-out=table
