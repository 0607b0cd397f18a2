#!/usr/bin/env bash
# Issue 16 drills on 3 control planes carrying etcd (kha-node-1..3) and a worker (kha-node-4):
#   1. `pulumi up` killed (SIGKILL to the whole CLI process group, as a lost CI runner or a closed
#      laptop would) while kha-node-1 runs `kubeadm init`; after the documented recovery (`pulumi
#      cancel` when the state is still locked) the next `pulumi up` finishes and every node is Ready
#   2. the same while a new worker (kha-node-5) runs `kubeadm join`
#   3. etcd backup: a snapshot on demand (etcdSnapshots.take changed: only the snapshot step runs,
#      and its copy to this machine, etcdSnapshots.copyTo, which the restore then starts from),
#      a namespace deleted, every member restored from the snapshot with etcd-restore.sh (README,
#      "etcd snapshots and restore"), the namespace and its ConfigMap are back, writes succeed, one
#      etcd cluster ID, and the next `pulumi up` changes nothing
#   4. certificate renewal: pki.earlyRenewalHours above the certificates' lifetime; `pulumi up`
#      renews every certificate and kubeconfig on the hosts (expiries printed before and after, the
#      CAs kept), a bounded request loop through the worker's proxy counts the failed requests, the
#      cluster serves on; back to the usual window, the next `up` changes nothing
# A ConfigMap written before each drill is read back after it. Prints the time of every step.
set -euo pipefail
# shellcheck source=test/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

e2e_require_engine
e2e_kubernetes

timed "lab boot (5 hosts)" bash "$LAB" up 5 >/dev/null
e2e_stack e2e-day2
rm -rf "$REPO/dev/lab/.work/e2e-day2-etcd-backups"

lacks() { ! grep -q "$1" <<<"$2"; }
ready_count() { [[ $(k get nodes --no-headers 2>/dev/null | grep -c ' Ready ') == "$1" ]]; }
running_on() { on_host "$1" "pgrep -f '^$2' >/dev/null"; }
# etcdctl on kha-node-1 against the three members, with their own client certificate
etcd_members() {
  on_host kha-node-1 "ETCDCTL_API=3 etcdctl --endpoints=https://10.77.0.11:2379,https://10.77.0.12:2379,https://10.77.0.13:2379 \
    --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt \
    --key=/etc/kubernetes/pki/etcd/healthcheck-client.key --command-timeout=5s $*"
}
# every etcd member answers healthy
etcd_healthy() { etcd_members endpoint health >/dev/null 2>&1; }
# (create or update: a retried write whose first try went through still succeeds)
write_configmap() { k create configmap "$1" --from-literal=written="$1" --dry-run=client -o yaml | k apply -f - >/dev/null; }
reads_back() { [[ "$(k get configmap "$1" -n "${2:-default}" -o jsonpath='{.data.written}' 2>/dev/null)" == "$1" ]]; }

# descendants PID: every process below PID (the CLI starts its plugins in process groups of their own)
descendants() {
  local child
  for child in $(ps -o pid= --ppid "$1"); do
    echo "$child"
    descendants "$child"
  done
}

# up_killed_during HOST PROCESS DELAY LOG: `pulumi up`, killed with SIGKILL (the CLI and every
# process it started, as a machine that dies would) DELAY seconds after PROCESS (a command line
# prefix) shows up on HOST (bounded: 6 min)
up_killed_during() {
  local host=$1 process=$2 delay=$3 log=$4 pid seen="" tree
  # shellcheck disable=SC2016 # (expanded by that bash, from its arguments)
  setsid bash -c 'cd "$1" && exec "$2" exec pulumi up --yes --skip-preview --stack "$3" --non-interactive' _ \
    "$REPO" "$LAB" "$E2E_STACK" >"$log" 2>&1 &
  pid=$!
  # (watched on the host, every 0.1 s: a worker's join takes a few seconds)
  if on_host "$host" "for i in \$(seq 3600); do pgrep -f '^$process' >/dev/null && exit 0; sleep 0.1; done; exit 1"; then seen=1; fi
  sleep "$delay"
  tree=$(descendants "$pid")
  # shellcheck disable=SC2086 # (one PID per word)
  kill -KILL "$pid" $tree 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [[ -n "$seen" ]] || { say "never saw '$process' on $host before the up ended"; failed_run "$log"; return 1; }
  say "killed pulumi ($pid and the $(wc -w <<<"$tree") processes it started) while '$process' ran on $host"
  if running_on "$host" "$process"; then say "  '$process' still runs on $host after the kill"; else say "  '$process' ended with the SSH session"; fi
}

# recover LABEL LOG: what README says to do after a killed run: `pulumi up` (after `pulumi cancel`
# when the killed run's lock still holds the stack), then `pulumi refresh --clear-pending-creates`
# to drop the interrupted operations from the state
recover() {
  local label=$1 log=$2
  if ! timed "$label" pl up --yes --skip-preview >"$log" 2>&1; then
    grep -q "currently locked" "$log" || { failed_run "$log"; return 1; }
    say "  the killed run's lock still holds the stack: pulumi cancel, then up again"
    pl cancel --yes >"$log.cancel" 2>&1 || { cat "$log.cancel"; return 1; }
    timed "$label (after pulumi cancel)" pl up --yes --skip-preview >"$log" 2>&1 || { failed_run "$log"; return 1; }
  fi
  say "  interrupted operations the up reported: $(grep -c "interrupted while" "$log" || true)"
  pl refresh --clear-pending-creates --yes --skip-preview >"$log.refresh" 2>&1 || { failed_run "$log.refresh"; return 1; }
}
pending_operations() { (cd "$REPO" && pulumi stack export --stack "$E2E_STACK") | node -e '
  const d = JSON.parse(require("fs").readFileSync(0, "utf8")).deployment;
  console.log((d.pending_operations || []).length);'; }
# no_changes LOG: the up's resource summary names nothing created, updated, deleted or replaced
no_changes() { ! sed -n '/^Resources:/,/^Duration/p' "$1" | grep -Eq 'create|update|delete|replace'; }

# ---- 1. killed during kubeadm init ------------------------------------------------------------------
up_killed_during kha-node-1 "kubeadm init" 3 "$E2E_STATE/day2-init-killed.log"
recover "pulumi up after the run killed during kubeadm init" "$E2E_STATE/day2-init-recover.log"
(cd "$REPO" && pulumi stack output kubeconfig --show-secrets --stack "$E2E_STACK") >"$WORK/admin.conf"
check "4 nodes Ready after the recovery (bounded 3 min)" wait_until "4 nodes Ready" 60 3 ready_count 4
if grep -q "last kubeadm init or join did not finish: resetting" "$E2E_STATE/day2-init-recover.log"; then
  say "  kha-node-1's partial init was reset and run again"
else
  say "  kha-node-1's init had finished on its own before the next run"
fi
check "no interrupted-init mark is left on kha-node-1" on_host kha-node-1 '[ ! -e /var/lib/kubeadm-ha/init-started ] && [ ! -e /var/lib/kubeadm-ha/join-started ]'
check "kubeadm ran its init phases to the end: kube-proxy and CoreDNS exist" k -n kube-system get daemonset/kube-proxy deployment/coredns
check "no interrupted operation is left in the state" test "$(pending_operations)" = 0
check "every etcd member is healthy (kubeadm reset left this host's member alone)" etcd_healthy
write_configmap before-join-drill

# ---- 2. killed during a worker's kubeadm join ----------------------------------------------------
(cd "$REPO" && pulumi config set --path 'kubeadm-ha:hosts[4].name' kha-node-5 --stack "$E2E_STACK" &&
  pulumi config set --path 'kubeadm-ha:hosts[4].address' 10.77.0.15 --stack "$E2E_STACK" &&
  pulumi config set --path 'kubeadm-ha:hosts[4].roles[0]' worker --stack "$E2E_STACK")
up_killed_during kha-node-5 "kubeadm join" 0 "$E2E_STATE/day2-join-killed.log"
recover "pulumi up after the run killed during kha-node-5's kubeadm join" "$E2E_STATE/day2-join-recover.log"
check "5 nodes Ready after the recovery (bounded 3 min)" wait_until "5 nodes Ready" 60 3 ready_count 5
if grep -q "last kubeadm join did not finish: resetting" "$E2E_STATE/day2-join-recover.log"; then
  say "  kha-node-5's partial join was reset and made again"
else
  say "  kha-node-5's join had finished on its own before the next run"
fi
check "no interrupted-join mark is left on kha-node-5" on_host kha-node-5 '[ ! -e /var/lib/kubeadm-ha/join-started ]'
check "the ConfigMap written before the join drill reads back" reads_back before-join-drill
check "every etcd member is healthy" etcd_healthy

# ---- 3. etcd snapshot on demand, a namespace lost, restored -------------------------------------------
k create namespace drill-backup >/dev/null
k -n drill-backup create configmap kept --from-literal=written=kept >/dev/null
(cd "$REPO" && pulumi config set --path 'kubeadm-ha:etcdSnapshots.take' drill-1 --stack "$E2E_STACK")
plan=$(pl preview --json 2>/dev/null | node -e '
  const plan = JSON.parse(require("fs").readFileSync(0, "utf8"));
  console.log((plan.steps || []).filter((s) => s.op !== "same" && !s.urn.includes("pulumi:pulumi:Stack"))
    .map((s) => s.op + " " + s.urn.split("::").pop()).join("\n"));')
say "planned changes for a snapshot on demand:"; printf '%s\n' "$plan" | sed 's/^/    /'
only_snapshot() { [[ "$(head -n1 <<<"$plan")" == "update e2e-day2-etcd-snapshot" ]] && ! tail -n +2 <<<"$plan" | grep -qv ' e2e-day2-etcd-snapshot-copy$'; }
check "the preview runs only the snapshot step (and its copy to this machine)" only_snapshot
timed "pulumi up taking a snapshot on demand" pl up --yes --skip-preview >"$E2E_STATE/day2-snapshot.log" 2>&1 ||
  { failed_run "$E2E_STATE/day2-snapshot.log"; exit 1; }
snapshot=$(on_host kha-node-1 'ls /var/lib/kubeadm-ha/etcd-snapshots/*-drill-1.db' | tail -n1)
check "the snapshot is on kha-node-1 with its checksum ($snapshot)" on_host kha-node-1 "cd /var/lib/kubeadm-ha/etcd-snapshots && sha256sum -c --quiet '$(basename "$snapshot").sha256'"
backups="$REPO/dev/lab/.work/e2e-day2-etcd-backups"
copy="$backups/$(basename "$snapshot")"
check "a verified copy is on this machine (etcdSnapshots.copyTo)" bash -c "cd '$backups' && sha256sum -c --quiet '$(basename "$snapshot").sha256'"
check "  the same bytes as on kha-node-1" test "$(sha256sum <"$copy" | cut -d' ' -f1)" = "$(on_host kha-node-1 "sha256sum < '$snapshot'" | cut -d' ' -f1)"

k delete namespace drill-backup --wait=true --timeout=120s >/dev/null
ns_gone() { ! k get namespace "$1" >/dev/null 2>&1; }
check "the namespace is gone" ns_gone drill-backup

# the documented restore: the same snapshot on every member (from the operator's copy, as after a
# loss of the hosts' disks), etcd-restore.sh on each at once
initial=$(cd "$REPO" && pulumi stack output etcdInitialCluster --stack "$E2E_STACK")
for host in kha-node-1 kha-node-2 kha-node-3; do
  on_host "$host" "mkdir -p -m 0700 /var/lib/kubeadm-ha/etcd-snapshots && cat > '$snapshot'" <"$copy"
  on_host "$host" "cat > '$snapshot.sha256'" <"$copy.sha256"
done
# each_host STEP LOG HOST...: a restore step on several hosts at once; fails when one fails
each_host() {
  local step=$1 log=$2 host pids=() status=0
  shift 2
  for host in "$@"; do
    on_host "$host" "$step" >"$E2E_STATE/day2-$log-$host.log" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
  return $status
}
restore_all() {
  local script=/opt/kubeadm-ha/scripts/etcd-restore.sh cps=(kha-node-1 kha-node-2 kha-node-3)
  each_host "bash $script stop-control-plane" stop-cp "${cps[@]}" &&
    each_host "KHA_SNAPSHOT='$snapshot' KHA_ETCD_INITIAL_CLUSTER='$initial' bash $script" restore "${cps[@]}" &&
    each_host "bash $script start-control-plane" start-cp "${cps[@]}"
}
timed "etcd restore: control planes stopped, 3 members restored, control planes started" restore_all ||
  { tail -n 20 "$E2E_STATE"/day2-{stop-cp,restore,start-cp}-*.log; exit 1; }
check "the namespace is back with its ConfigMap (bounded 3 min)" wait_until "the restored namespace" 60 3 reads_back kept drill-backup
check "kubectl writes succeed after the restore (bounded 60 s)" wait_until "a write" 20 3 write_configmap after-restore
ids=$(etcd_members endpoint status --write-out=json | grep -Eo '"cluster_id":[0-9]+' | sort -u | wc -l)
check "one etcd cluster ID on the 3 restored members" test "$ids" = 1
check "5 nodes Ready after the restore (bounded 3 min)" wait_until "5 nodes Ready" 60 3 ready_count 5
timed "pulumi up after the restore" pl up --yes --skip-preview >"$E2E_STATE/day2-after-restore.log" 2>&1 ||
  { failed_run "$E2E_STATE/day2-after-restore.log"; exit 1; }
check "  which changed nothing" no_changes "$E2E_STATE/day2-after-restore.log"
check "the ConfigMap written before the join drill still reads back" reads_back before-join-drill

# ---- 4. every certificate renewed by `pulumi up`, the cluster serving throughout ---------------------
# expiries HOST: "file notAfter" of every certificate and kubeconfig kubeadm-ha and kubeadm put there
expiries() {
  # shellcheck disable=SC2016 # (expanded on the host)
  on_host "$1" 'for f in /etc/kubernetes/pki/*.crt /etc/kubernetes/pki/etcd/*.crt; do
      echo "$f $(openssl x509 -enddate -noout -in "$f" | cut -d= -f2)"; done
    for f in /etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf /etc/kubernetes/controller-manager.conf /etc/kubernetes/scheduler.conf; do
      [ -f "$f" ] || continue
      echo "$f $(sed -n "s/^ *client-certificate-data: //p" "$f" | base64 -d | openssl x509 -enddate -noout | cut -d= -f2)"; done'
}
# renewed BEFORE AFTER: every leaf and kubeconfig expires later than before; the CAs stay
renewed() {
  local file end after_end status=0
  while read -r file end; do
    after_end=$(awk -v f="$file" '$1 == f { $1 = ""; sub(/^ /, ""); print }' <<<"$2")
    if [[ "$file" == */ca.crt || "$file" == */front-proxy-ca.crt ]]; then
      (($(date -d "$after_end" +%s) == $(date -d "$end" +%s))) || { say "  $file (a CA) changed: $end -> $after_end"; status=1; }
    elif (($(date -d "$after_end" +%s) <= $(date -d "$end" +%s))); then
      say "  $file was not renewed: $end -> $after_end"
      status=1
    fi
  done <<<"$1"
  return $status
}
sed 's#server: https://.*#server: https://localhost:6443#' "$WORK/admin.conf" | on_host kha-node-4 'umask 077 && cat > /root/admin-proxy.conf'
before=$(expiries kha-node-1)
# a bounded request loop through the worker's nginx proxy while the up runs (at most 15 minutes)
proxy_probe kha-node-4 1800 &
probe_pid=$!
(cd "$REPO" && pulumi config set --path 'kubeadm-ha:pki.earlyRenewalHours' 9000 --stack "$E2E_STACK")
timed "pulumi up renewing every certificate (earlyRenewalHours 9000 > validityHours 8760)" pl up --yes --skip-preview \
  >"$E2E_STATE/day2-renew.log" 2>&1 || { touch "$WORK/probe-stop"; failed_run "$E2E_STATE/day2-renew.log"; exit 1; }
touch "$WORK/probe-stop"
wait "$probe_pid" || true
read -r probe_ok probe_failed <"$WORK/probe-result"
say "requests through kha-node-4's proxy during the renewal: $probe_ok answered, $probe_failed failed"
check "the API kept answering through the renewal (at most 5 of $((probe_ok + probe_failed)) requests failed)" test "$probe_failed" -le 5
after=$(expiries kha-node-1)
say "expiries on kha-node-1 after the renewal:"; printf '%s\n' "$after" | sed 's/^/    /'
check "every certificate and kubeconfig on kha-node-1 was renewed, the CAs kept" renewed "$before" "$after"
check "the controller-manager and scheduler kubeconfigs were renewed on every control plane" \
  test "$(grep -c "renewed admin.conf.*controller-manager.conf scheduler.conf" "$E2E_STATE/day2-renew.log")" -ge 3
say "certificateExpiry output after the renewal:"
(cd "$REPO" && pulumi stack output certificateExpiry --json --stack "$E2E_STACK") | sed 's/^/    /'
check "5 nodes Ready after the renewal" wait_until "5 nodes Ready" 60 3 ready_count 5
(cd "$REPO" && pulumi stack output kubeconfig --show-secrets --stack "$E2E_STACK") >"$WORK/admin.conf"
check "kubectl writes succeed with the renewed admin credential" write_configmap after-renewal
(cd "$REPO" && pulumi config rm --path 'kubeadm-ha:pki.earlyRenewalHours' --stack "$E2E_STACK")
timed "pulumi up with the usual renewal window again" pl up --yes --skip-preview >"$E2E_STATE/day2-renew-back.log" 2>&1 ||
  { failed_run "$E2E_STATE/day2-renew-back.log"; exit 1; }
# (the certificates' own settings change in the state; no host step runs)
check "  renews nothing more: no host step ran" lacks "command:remote:Command .*updat" "$(cat "$E2E_STATE/day2-renew-back.log")"

timed "pulumi destroy" pl destroy --yes --skip-preview >"$E2E_STATE/day2-destroy.log" 2>&1 || { failed_run "$E2E_STATE/day2-destroy.log"; exit 1; }
e2e_stack_rm
E2E_STACK=""
e2e_finish
