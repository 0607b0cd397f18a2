#!/usr/bin/env bash
# Takes an etcd snapshot before a change that could cost the cluster its data (etcd members,
# etcd or Kubernetes versions) and whenever etcdSnapshots.take changed: `etcdctl snapshot save`
# from the first configured member that answers, verified with `snapshot status`, kept as
# <UTC time>-<label>.db with its sha256 beside it under the snapshots directory; only the newest
# KHA_SNAPSHOT_KEEP stay. A cluster that does not run yet (day 1) has nothing to lose: said, not an
# error. A member with data whose cluster answers nowhere gets a warning: the change goes on, since
# it may be what brings etcd back. Prints the snapshot's path.
#
# Environment: KHA_ETCD_ENDPOINTS (comma-separated https URLs), KHA_SNAPSHOT_LABEL (file name
# part), KHA_SNAPSHOT_KEEP (5), KHA_ROOT (tests).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

: "${KHA_ETCD_ENDPOINTS:?}"
label=${KHA_SNAPSHOT_LABEL:-before-change}
keep=${KHA_SNAPSHOT_KEEP:-5}
dir=$KHA_ETCD_SNAPSHOTS_DIR
pki=$KHA_ETCD_PKI_DIR

# (a host whose etcd step has not run yet has only the copied artifact)
etcdctl=$(command -v etcdctl || true)
[[ -n "$etcdctl" ]] || etcdctl="$KHA_ARTIFACTS_DIR/bin/etcdctl"
if [[ ! -x "$etcdctl" ]]; then
  log "no etcdctl on this host yet: no etcd runs here, nothing to snapshot"
  exit 0
fi

install -d -m 0700 "$dir"
incoming="$dir/.incoming.db"
rm -f "$incoming" "$incoming.part"
from=""
tls=(--cacert="$pki/ca.crt" --cert="$pki/healthcheck-client.crt" --key="$pki/healthcheck-client.key")
for endpoint in ${KHA_ETCD_ENDPOINTS//,/ }; do
  # (a snapshot has no deadline of its own: only a member that answers health within 5 s is asked)
  ETCDCTL_API=3 "$etcdctl" --endpoints="$endpoint" "${tls[@]}" --command-timeout=5s endpoint health >/dev/null 2>&1 || continue
  if timeout 300 env ETCDCTL_API=3 "$etcdctl" --endpoints="$endpoint" "${tls[@]}" snapshot save "$incoming" >/dev/null 2>&1; then
    from=$endpoint
    break
  fi
  rm -f "$incoming" "$incoming.part"
done
if [[ -z "$from" ]]; then
  if [[ -d "$KHA_ETCD_DATA_DIR/member" ]]; then
    log "WARNING: no etcd member answers ($KHA_ETCD_ENDPOINTS): no snapshot before this change"
  else
    log "no etcd member answers yet (a new cluster): nothing to snapshot"
  fi
  exit 0
fi
status=$(ETCDCTL_API=3 "$etcdctl" snapshot status "$incoming" --write-out=simple 2>/dev/null) ||
  die "the snapshot from $from does not verify (etcdctl snapshot status); nothing was kept"

name="$(date -u +%Y%m%dT%H%M%SZ)-$label.db"
mv -f "$incoming" "$dir/$name"
(cd "$dir" && sha256sum "$name" >"$name.sha256")
# the oldest beyond the newest $keep go (names start with their UTC time, so they sort by age)
mapfile -t old < <(find "$dir" -maxdepth 1 -name '*.db' -printf '%f\n' | sort | head -n "-$keep")
for file in "${old[@]}"; do
  rm -f "${dir:?}/$file" "$dir/$file.sha256"
  log "removed the old snapshot $file (etcdSnapshots.keep: $keep)"
done
# (status: hash, revision, keys, size)
log "snapshot of $from at revision $(cut -d, -f2 <<<"$status" | tr -d ' '): ${dir#"$KHA_ROOT"}/$name"
