#!/usr/bin/env bash
# Issue 15 drills:
#   1. roles in any mix: kha-node-1 is control plane, worker and etcd member at once, kha-node-2 a
#      worker with etcd; pods schedule on the control plane (no NoSchedule taint)
#   2. etcd membership follows the config on a running cluster: 1 -> 3 -> 5 -> 3 members by editing
#      hosts[]; after every `pulumi up`: one cluster ID (the first one), the member list equals the
#      config, all voting, and a kubectl write succeeds; the removed members' hosts are reset
# A ConfigMap written at the start is read back at the end. Prints the time of every step.
set -euo pipefail
# shellcheck source=test/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

e2e_require_engine
e2e_kubernetes

timed "lab boot (5 hosts)" bash "$LAB" up 5 >/dev/null
STACK_FILE="$E2E_DIR/stacks/e2e-membership.yaml"

# with_etcd N...: the stack with etcd on kha-node-1 and kha-node-N... (kha-node-2 is also a worker)
with_etcd() {
  local salt i n roles
  salt=$(grep '^encryptionsalt:' "$REPO/Pulumi.$E2E_STACK.yaml" 2>/dev/null || true)
  cp "$STACK_FILE" "$WORK/stack.yaml"
  # each goes right after kha-node-1: the last one first, so the list ends up in ascending order
  for ((i = $#; i >= 1; i--)); do
    n=${!i}
    roles="[etcd]"
    if [[ "$n" == 2 ]]; then roles="[etcd, worker]"; fi
    sed -i "s#^    - { name: kha-node-1, .*#&\n    - { name: kha-node-$n, address: 10.77.0.1$n, roles: $roles }#" "$WORK/stack.yaml"
  done
  cp "$WORK/stack.yaml" "$REPO/Pulumi.$E2E_STACK.yaml"
  if [[ -n "$salt" ]]; then echo "$salt" >> "$REPO/Pulumi.$E2E_STACK.yaml"; fi
}

# etcd as the control plane sees it: the apiserver's own client certificate, from kha-node-1
etcd_on_cp() {
  on_host kha-node-1 "ETCDCTL_API=3 etcdctl --endpoints=$1 --cacert=/etc/kubernetes/pki/etcd/ca.crt \
    --cert=/etc/kubernetes/pki/apiserver-etcd-client.crt --key=/etc/kubernetes/pki/apiserver-etcd-client.key --command-timeout=5s ${*:2}"
}
cluster_ids() { etcd_on_cp "$1" endpoint status --write-out=json | grep -Eo '"cluster_id":[0-9]+' | cut -d: -f2 | sort -u | paste -sd' ' -; }
voting_names() { etcd_on_cp "$1" member list | awk -F', ' '$6 == "false" && $2 == "started" {print $3}' | sort | paste -sd' ' -; }

# (create or update: a retried write whose first try went through still succeeds)
write_configmap() { k create configmap "write-$1" --from-literal=step="$1" --dry-run=client -o yaml | k apply -f - >/dev/null; }

first_id=""
# step LABEL N...: up with etcd on kha-node-N..., then judge it from outside
step() {
  local label=$1 eps names ids i
  shift
  with_etcd "$@"
  timed "$label: pulumi up" pl up --yes --skip-preview > "$E2E_STATE/membership-$label.log" 2>&1 ||
    { failed_run "$E2E_STATE/membership-$label.log"; exit 1; }
  (cd "$REPO" && pulumi stack output kubeconfig --show-secrets --stack "$E2E_STACK") > "$WORK/admin.conf"
  eps=$(for i in 1 "$@"; do printf 'https://10.77.0.1%s:2379,' "$i"; done)
  eps=${eps%,}
  names=$(for i in 1 "$@"; do echo "kha-node-$i"; done | sort | paste -sd' ' -)
  ids=$(cluster_ids "$eps")
  [[ -n "$first_id" ]] || first_id=$ids
  check "$label: one cluster ID on every member, the first one ($ids)" test "$ids" = "$first_id"
  check "$label: the voting members are exactly the configured ones ($names)" test "$(voting_names "$eps")" = "$names"
  # (the control plane's apiserver restarts with the new member list: a write may wait for it)
  check "$label: kubectl writes succeed (bounded 60 s)" wait_until "a write" 20 3 write_configmap "$label"
}

e2e_stack e2e-membership
step "1-member"
k create configmap drill-start --from-literal=written=at-the-start >/dev/null
step "3-members" 2 3
check "kha-node-2, a worker that is also an etcd member, is Ready (bounded 3 min)" wait_until "kha-node-2 Ready" 60 3 node_ready kha-node-2
no_noschedule() { ! k get node kha-node-1 -o jsonpath='{.spec.taints}' | grep -q NoSchedule; }
check "kha-node-1, control plane and etcd member, carries no NoSchedule taint" no_noschedule
k create deployment on-cp --image=kubeadm-ha.local/echo:lab >/dev/null
k patch deployment on-cp --type=merge -p '{"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.io/hostname":"kha-node-1"}}}}}' >/dev/null
check "a pod schedules and runs on the control plane kha-node-1" k rollout status deployment/on-cp --timeout=180s
step "5-members" 2 3 4 5
step "back-to-3" 2 3
for i in 4 5; do
  check "kha-node-$i was removed from etcd and reset" on_host "kha-node-$i" '[ ! -e /var/lib/etcd ] && ! systemctl is-active -q etcd'
done
check "the ConfigMap written at the start reads back" test "$(k get configmap drill-start -o jsonpath='{.data.written}')" = at-the-start

timed "pulumi destroy" pl destroy --yes --skip-preview > "$E2E_STATE/membership-destroy.log" 2>&1 || { failed_run "$E2E_STATE/membership-destroy.log"; exit 1; }
e2e_stack_rm
E2E_STACK=""
e2e_finish
