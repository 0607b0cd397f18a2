#!/usr/bin/env bash
# Stub etcdctl for the host script tests (test/scripts/harness.ts): a fake etcd cluster whose
# `member list` lines live in $STUB_DIR/etcd-members. STUB_ETCD_DOWN=1: nobody answers.
# STUB_ETCDCTL_FAILS=N: the first N `endpoint health` calls fail. $STUB_DIR/learner-busy: the next
# `member add` is refused once (another learner). STUB_ETCD_OTHER_CLUSTER: a second cluster ID.
# STUB_ETCD_UNHEALTHY=URL: `endpoint health` of that one endpoint fails. STUB_ETCD_NO_QUORUM=1:
# every `endpoint health` fails (members up, no leader), `member list` still answers.
# Snapshots: `snapshot save` writes "snapshot of ENDPOINT" (STUB_ETCD_UNHEALTHY's endpoint does not
# answer), `snapshot status` accepts only such a file, `snapshot restore` makes --data-dir/member
# holding the snapshot it restored.
m="$STUB_DIR/etcd-members"
args=()
peer_url=""
data_dir=""
endpoints=""
for a in "$@"; do
  case "$a" in
    --peer-urls=*) peer_url=${a#--peer-urls=} ;;
    --data-dir=*) data_dir=${a#--data-dir=} ;;
    --endpoints=*) endpoints=${a#--endpoints=} ;;
    --*) ;;
    *) args+=("$a") ;;
  esac
done
if [[ "${STUB_ETCD_DOWN:-}" == 1 ]]; then
  echo "context deadline exceeded" >&2
  exit 1
fi
case "${args[0]} ${args[1]}" in
  "endpoint health")
    if [[ "${STUB_ETCD_NO_QUORUM:-}" == 1 ]]; then
      echo "etcdserver: no leader" >&2
      exit 1
    fi
    if [[ -n "${STUB_ETCD_UNHEALTHY:-}" && " $* " == *" --endpoints=$STUB_ETCD_UNHEALTHY "* ]]; then
      echo "$STUB_ETCD_UNHEALTHY is unhealthy" >&2
      exit 1
    fi
    n=$(cat "$STUB_DIR/etcdctl.count" 2>/dev/null || echo 0)
    echo $((n + 1)) >"$STUB_DIR/etcdctl.count"
    if ((n < ${STUB_ETCDCTL_FAILS:-0})); then
      echo "unhealthy" >&2
      exit 1
    fi
    echo "https://10.0.0.1:2379 is healthy"
    ;;
  "endpoint status")
    other=""
    if [[ -n "${STUB_ETCD_OTHER_CLUSTER:-}" ]]; then other=',{"Status":{"header":{"cluster_id":222}}}'; fi
    echo "[{\"Status\":{\"header\":{\"cluster_id\":111}}}$other]"
    ;;
  "member list") cat "$m" 2>/dev/null ;;
  lock*)
    # (holds nothing: runs the command, as the lock's only holder would)
    echo "lock ${args[1]} held" >>"$STUB_DIR/etcd-locks"
    "${args[@]:2}"
    ;;
  "snapshot save")
    if [[ -n "${STUB_ETCD_UNHEALTHY:-}" && "$endpoints" == "$STUB_ETCD_UNHEALTHY" ]]; then
      echo "context deadline exceeded" >&2
      exit 1
    fi
    echo "snapshot of $endpoints" >"${args[2]}"
    ;;
  "snapshot status")
    grep -q '^snapshot of ' "${args[2]}" 2>/dev/null || { echo "invalid database" >&2; exit 1; }
    echo "fe01cf57, 42, 1024, 2.1 MB"
    ;;
  "snapshot restore")
    [[ ! -e "$data_dir" ]] || { echo "data-dir $data_dir exists" >&2; exit 1; }
    mkdir -p "$data_dir/member"
    cp "${args[2]}" "$data_dir/member/restored-from"
    echo "$*" >"$data_dir/member/restore-args"
    ;;
  "member add")
    if [[ -f "$STUB_DIR/learner-busy" ]]; then
      rm "$STUB_DIR/learner-busy"
      echo "etcdserver: too many learner members in cluster" >&2
      exit 1
    fi
    # (etcdctl prints the id with %16x: short ids come padded with spaces)
    echo "f00d, unstarted, , $peer_url, , true" >>"$m"
    initial=$(awk -F', ' -v n="${args[2]}" -v u="$peer_url" '{ printf "%s%s=%s", (NR > 1 ? "," : ""), ($4 == u ? n : $3), $4 }' "$m")
    printf 'Member             f00d added to cluster 111\n\nETCD_NAME="%s"\nETCD_INITIAL_CLUSTER="%s"\nETCD_INITIAL_CLUSTER_STATE="existing"\n' "${args[2]}" "$initial"
    ;;
  "member remove")
    grep -v "^${args[2]}, " "$m" >"$m.new" || true
    mv "$m.new" "$m"
    ;;
  "member promote")
    awk -F', ' -v OFS=', ' -v id="${args[2]}" '$1 == id { $2 = "started"; $3 = "promoted"; $6 = "false" } { print }' "$m" >"$m.new"
    mv "$m.new" "$m"
    ;;
esac
