#!/usr/bin/env bash
# Issue 8 drills, real engine on real lab hosts:
#   1. stacked etcd on 3 control-plane hosts: healthy over TLS on all 3 with the generated
#      client certificate, put/get works
#   3. a second `pulumi up` reports no change and opens no SSH session on any host
#   4. one etcd host stopped: writes still succeed; started again: it rejoins and catches up
#   5. `pulumi destroy`: etcd unit, data and certificates gone from every host
#   2. external etcd on 3 dedicated hosts: the same checks, and no etcd on the control planes
# Prints the wall time of every up, the no-op re-run, destroy, and the lab boot.
set -euo pipefail
# shellcheck source=test/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

e2e_require_engine
cleanup() {
  local status=$?
  if [[ -n "${E2E_STACK:-}" ]]; then
    pl destroy --yes >/dev/null 2>&1 || true
    e2e_stack_rm
  fi
  [[ -n "${E2E_CERTS:-}" ]] && rm -rf "$E2E_CERTS"
  bash "$LAB" down >/dev/null 2>&1 || true
  exit $status
}
trap cleanup EXIT

timed "lab boot (5 hosts)" bash "$LAB" up 5 >/dev/null
e2e_etcd_artifacts

all_healthy() { etcdctl_at "$1" endpoint health >/dev/null 2>&1; }
etcd_gone() {
  on_host "$1" '! systemctl is-active -q etcd && [ ! -e /etc/systemd/system/etcd.service ] && [ ! -e /var/lib/etcd ] && [ ! -e /etc/kubernetes/pki/etcd ] && [ ! -e /usr/local/bin/etcd ] && [ ! -e /opt/kubeadm-ha ]'
}
no_etcd_on() { on_host "$1" '[ ! -e /etc/systemd/system/etcd.service ] && [ ! -e /var/lib/etcd ] && ! ss -ltn | grep -q ":2379 "'; }

# ---- stacked ------------------------------------------------------------------------------------
e2e_stack e2e-stacked
timed "stacked: pulumi up from bare hosts" pl up --yes --skip-preview > "$E2E_STATE/stacked-up.log" 2>&1 || { failed_run "$E2E_STATE/stacked-up.log"; exit 1; }
e2e_client_certs kha-node-1
EPS="https://10.77.0.11:2379,https://10.77.0.12:2379,https://10.77.0.13:2379"
check "all 3 members healthy over TLS with the generated client cert" all_healthy "$EPS"
check "each member answers on its own endpoint" bash -c "$(declare -f etcdctl_at); $(declare -p LAB E2E_ETCDCTL E2E_CERTS); for i in 1 2 3; do etcdctl_at https://10.77.0.1\$i:2379 endpoint health || exit 1; done" 
check "put works" etcdctl_at "$EPS" put /kubeadm-ha/e2e stacked-ok
check "get returns the value" bash -c "[[ \"\$($(declare -f etcdctl_at); $(declare -p LAB E2E_ETCDCTL E2E_CERTS); etcdctl_at '$EPS' get /kubeadm-ha/e2e --print-value-only)\" == stacked-ok ]]"
check "a client without a certificate is refused" bash -c "! '$LAB' exec env ETCDCTL_API=3 '$E2E_ETCDCTL' --endpoints=https://10.77.0.11:2379 --cacert='$E2E_CERTS/ca.crt' --command-timeout=3s get /kubeadm-ha/e2e >/dev/null 2>&1"

since="$(date '+%Y-%m-%d %H:%M:%S')"
sleep 1
timed "stacked: no-op pulumi up" pl up --yes --skip-preview --expect-no-changes > "$E2E_STATE/stacked-noop.log" 2>&1
noop_status=$?
sleep 1
until="$(date '+%Y-%m-%d %H:%M:%S')"
check "second up reports no changes" test "$noop_status" -eq 0
check "second up lists every resource unchanged" grep -Eq "[0-9]+ unchanged" "$E2E_STATE/stacked-noop.log"
logins=0
for i in 1 2 3; do logins=$((logins + $(ssh_logins "kha-node-$i" "$since" "$until"))); done
check "second up opened no SSH session (ran no remote command): $logins" test "$logins" -eq 0

timed "stop kha-node-2" bash "$LAB" stop-host kha-node-2 >/dev/null
check "with a member down, writes still succeed" etcdctl_at "https://10.77.0.11:2379,https://10.77.0.13:2379" put /kubeadm-ha/during-outage yes
timed "start kha-node-2" bash "$LAB" start-host kha-node-2 >/dev/null
check "the stopped member rejoins (healthy within 60 s)" wait_until "kha-node-2 healthy" 30 2 etcdctl_at https://10.77.0.12:2379 endpoint health
check "and has the write made while it was down" wait_until "kha-node-2 caught up" 15 2 bash -c "[[ \"\$($(declare -f etcdctl_at); $(declare -p LAB E2E_ETCDCTL E2E_CERTS); etcdctl_at https://10.77.0.12:2379 get /kubeadm-ha/during-outage --print-value-only --consistency=s)\" == yes ]]"

timed "stacked: pulumi destroy" pl destroy --yes --skip-preview > "$E2E_STATE/stacked-destroy.log" 2>&1 || { failed_run "$E2E_STATE/stacked-destroy.log"; exit 1; }
for i in 1 2 3; do check "destroy removed etcd unit, data, certs, binaries and kubeadm-ha files on kha-node-$i" etcd_gone "kha-node-$i"; done
e2e_stack_rm
rm -rf "$E2E_CERTS"
E2E_STACK=""

# ---- external -----------------------------------------------------------------------------------
e2e_stack e2e-external
timed "external: pulumi up from bare hosts" pl up --yes --skip-preview > "$E2E_STATE/external-up.log" 2>&1 || { failed_run "$E2E_STATE/external-up.log"; exit 1; }
e2e_client_certs kha-node-1
check "all 3 dedicated members healthy over TLS" all_healthy "$EPS"
check "put works" etcdctl_at "$EPS" put /kubeadm-ha/e2e external-ok
check "get returns the value" bash -c "[[ \"\$($(declare -f etcdctl_at); $(declare -p LAB E2E_ETCDCTL E2E_CERTS); etcdctl_at '$EPS' get /kubeadm-ha/e2e --print-value-only)\" == external-ok ]]"
for i in 4 5; do check "no etcd on control-plane host kha-node-$i" no_etcd_on "kha-node-$i"; done
timed "external: pulumi destroy" pl destroy --yes --skip-preview > "$E2E_STATE/external-destroy.log" 2>&1 || { failed_run "$E2E_STATE/external-destroy.log"; exit 1; }
for i in 1 2 3; do check "destroy removed etcd from kha-node-$i" etcd_gone "kha-node-$i"; done
e2e_stack_rm
E2E_STACK=""

e2e_finish
