#!/usr/bin/env bash
# Issue 15 drills, on control planes that carry etcd (kha-node-1..3) and one worker (kha-node-4,
# reaching the API through its nginx proxy):
#   1. control planes 3 -> 4: kha-node-5 joins as a control plane by config; the worker's proxy
#      lists it
#   2. 4 -> 3: kha-node-3 (control plane and etcd member) leaves the config while kha-node-5 takes
#      the etcd role: the preview names both; the up adds kha-node-5's member, removes kha-node-3's
#      before its host is reset, drains kha-node-3 and deletes its Node; the proxy no longer lists it
#   3. the first control plane's host wiped (a reinstall: fresh disk, new host key, same name and
#      address): `pulumi up` rejoins it (etcd member replaced, `kubeadm join`, never `kubeadm init`)
#      and the cluster keeps its objects
# After every step: one etcd cluster ID (the first one), the members as configured, a kubectl write.
# A ConfigMap written at the start is read back at the end. Prints the time of every step.
set -euo pipefail
# shellcheck source=test/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

e2e_require_engine
e2e_kubernetes

timed "lab boot (5 hosts)" bash "$LAB" up 5 >/dev/null

# kubectl on the worker, through its own nginx proxy (it never names a single control plane)
kw() { on_host kha-node-4 kubectl --kubeconfig /root/admin-proxy.conf --request-timeout=10s "$@"; }
# the worker's nginx proxy config names each of these apiservers / none of them
proxy_lists() {
  local ip
  for ip in "$@"; do on_host kha-node-4 "grep -q '$ip:6443' /etc/kubeadm-ha/apiserver-proxy/nginx.conf" || return 1; done
}
proxy_omits() { ! on_host kha-node-4 "grep -q '$1:6443' /etc/kubeadm-ha/apiserver-proxy/nginx.conf"; }
ready_count() { [[ $(kw get nodes --no-headers 2>/dev/null | grep -c ' Ready ') == "$1" ]]; }
cp_ready() { kw get node "$1" --no-headers 2>/dev/null | grep -q ' Ready  *control-plane '; }
lacks() { ! grep -q "$1" <<<"$2"; }
# etcd as the control planes see it: the apiserver's client certificate, from a control plane
etcd_on() {
  on_host "$1" "ETCDCTL_API=3 etcdctl --endpoints=$2 --cacert=/etc/kubernetes/pki/etcd/ca.crt \
    --cert=/etc/kubernetes/pki/apiserver-etcd-client.crt --key=/etc/kubernetes/pki/apiserver-etcd-client.key --command-timeout=5s ${*:3}"
}
# (create or update: a retried write whose first try went through still succeeds)
write_configmap() { kw create configmap "write-${1// /-}" --from-literal=step="${1// /-}" --dry-run=client -o yaml | kw apply -f - >/dev/null; }
node_gone() { ! kw get node "$1" >/dev/null 2>&1; }
host_reset() {
  on_host "$1" '[ ! -e /etc/kubernetes/kubelet.conf ] && [ ! -e /etc/kubernetes/manifests ] && ! systemctl is-active -q kubelet && ! systemctl is-active -q etcd && [ ! -e /var/lib/etcd ]'
}
# planned changes of a preview: "op name" per resource that changes
planned() {
  pl preview --json > "$WORK/plan.json" 2>/dev/null || true
  node -e '
    const plan = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const steps = (plan.steps || []).filter((s) => s.op !== "same" && !s.urn.includes("pulumi:pulumi:Stack"));
    console.log(steps.map((s) => s.op + " " + s.urn.split("::").pop()).join("\n"));' "$WORK/plan.json"
}

first_id=""
# judge LABEL HOST MEMBERS...: after an up, from outside (etcd asked from control plane HOST)
judge() {
  local label=$1 from=$2 eps ids names i
  shift 2
  eps=$(for i in "$@"; do printf 'https://10.77.0.1%s:2379,' "$i"; done)
  eps=${eps%,}
  names=$(for i in "$@"; do echo "kha-node-$i"; done | sort | paste -sd' ' -)
  ids=$(etcd_on "$from" "$eps" endpoint status --write-out=json | grep -Eo '"cluster_id":[0-9]+' | cut -d: -f2 | sort -u | paste -sd' ' -)
  [[ -n "$first_id" ]] || first_id=$ids
  check "$label: one etcd cluster ID on every member, the first one ($ids)" test "$ids" = "$first_id"
  check "$label: the voting members are exactly the configured ones ($names)" \
    test "$(etcd_on "$from" "$eps" member list | awk -F', ' '$6 == "false" && $2 == "started" {print $3}' | sort | paste -sd' ' -)" = "$names"
  check "$label: kubectl writes succeed (bounded 60 s)" wait_until "a write" 20 3 write_configmap "$label"
}

# set_hosts LINE...: the stack's hosts list replaced by these entries
set_hosts() {
  local salt
  salt=$(grep '^encryptionsalt:' "$REPO/Pulumi.$E2E_STACK.yaml" 2>/dev/null || true)
  { sed '/^    - { name: kha-node-/d' "$E2E_DIR/stacks/e2e-cp.yaml" | sed '/^  kubeadm-ha:hosts:$/q'
    printf '    %s\n' "$@"
    sed '1,/^    - { name: kha-node-4,/d' "$E2E_DIR/stacks/e2e-cp.yaml"
  } > "$REPO/Pulumi.$E2E_STACK.yaml"
  if [[ -n "$salt" ]]; then echo "$salt" >> "$REPO/Pulumi.$E2E_STACK.yaml"; fi
}
CP_ETCD="roles: [control-plane, etcd] }"
W4="- { name: kha-node-4, address: 10.77.0.14, roles: [worker] }"

e2e_stack e2e-cp
timed "pulumi up from bare hosts (3 control planes with etcd + 1 worker)" pl up --yes --skip-preview > "$E2E_STATE/cp-up.log" 2>&1 ||
  { failed_run "$E2E_STATE/cp-up.log"; exit 1; }
(cd "$REPO" && pulumi stack output kubeconfig --show-secrets --stack "$E2E_STACK") > "$WORK/admin.conf"
# the same admin credential on the worker, through its proxy
sed 's#server: https://.*#server: https://localhost:6443#' "$WORK/admin.conf" | on_host kha-node-4 'umask 077 && cat > /root/admin-proxy.conf'
check "4 nodes Ready (bounded 3 min)" wait_until "4 nodes Ready" 60 3 ready_count 4
kw create configmap drill-start --from-literal=written=at-the-start >/dev/null
judge "3 control planes" kha-node-2 1 2 3
check "the worker's proxy lists the 3 apiservers" proxy_lists 10.77.0.11 10.77.0.12 10.77.0.13

# ---- 1. control planes 3 -> 4 ----------------------------------------------------------------------
set_hosts "- { name: kha-node-1, address: 10.77.0.11, $CP_ETCD" "- { name: kha-node-2, address: 10.77.0.12, $CP_ETCD" \
  "- { name: kha-node-3, address: 10.77.0.13, $CP_ETCD" "$W4" "- { name: kha-node-5, address: 10.77.0.15, roles: [control-plane] }"
plan=$(planned)
say "planned changes for the fourth control plane:"; printf '%s\n' "$plan" | sed 's/^/    /'
check "the preview creates kha-node-5's control-plane join" grep -q "^create .*cp-kha-node-5-join$" <<<"$plan"
check "  and deletes nothing" lacks "^delete" "$plan"
timed "pulumi up adding control plane kha-node-5" pl up --yes --skip-preview > "$E2E_STATE/cp-add.log" 2>&1 ||
  { failed_run "$E2E_STATE/cp-add.log"; exit 1; }
check "kha-node-5 is a Ready control plane (bounded 3 min)" wait_until "kha-node-5 Ready" 60 3 cp_ready kha-node-5
check "the worker's proxy lists kha-node-5's apiserver" proxy_lists 10.77.0.15
judge "4 control planes" kha-node-2 1 2 3

# ---- 2. control planes 4 -> 3: kha-node-3 (with its etcd member) leaves, kha-node-5 takes etcd ----
set_hosts "- { name: kha-node-1, address: 10.77.0.11, $CP_ETCD" "- { name: kha-node-2, address: 10.77.0.12, $CP_ETCD" \
  "$W4" "- { name: kha-node-5, address: 10.77.0.15, $CP_ETCD"
plan=$(planned)
say "planned changes for kha-node-3 leaving:"; printf '%s\n' "$plan" | sed 's/^/    /'
check "the preview drains and deletes the Node kha-node-3 (its leave step)" grep -q "^delete .*cp-kha-node-3-leave$" <<<"$plan"
check "  resets its host (kubeadm reset)" grep -q "^delete .*cp-kha-node-3-reset$" <<<"$plan"
check "  (etcd reset)" grep -q "^delete .*etcd-kha-node-3-reset$" <<<"$plan"
check "  adds kha-node-5's etcd member" grep -q "^create .*etcd-kha-node-5-install$" <<<"$plan"
check "  and runs the etcd membership gate (which removes kha-node-3's member)" grep -q "^update .*etcd-health$" <<<"$plan"
said=$(pl preview 2>&1 || true)
check "the preview says in words: kha-node-3 leaves as a control plane" grep -q "control plane kha-node-3 leaves: drained, its Node deleted" <<<"$said"
check "  its etcd member is removed" grep -q "kha-node-3's member is removed" <<<"$said"
check "  kha-node-5 joins etcd as a learner, 3 members before and after" \
  grep -q "kha-node-5 joins the running etcd cluster as a learner" <<<"$said"
check "  (3 -> 3 members)" grep -q "etcd: 3 -> 3 members" <<<"$said"
timed "pulumi up: kha-node-3 leaves, kha-node-5 takes its etcd role" pl up --yes --skip-preview > "$E2E_STATE/cp-remove.log" 2>&1 ||
  { failed_run "$E2E_STATE/cp-remove.log"; exit 1; }
removed_at=$(grep -n "removing etcd member kha-node-3" "$E2E_STATE/cp-remove.log" | head -n1 | cut -d: -f1)
drained_at=$(grep -n "drained kha-node-3\|deleted the Node kha-node-3" "$E2E_STATE/cp-remove.log" | head -n1 | cut -d: -f1)
check "kha-node-3's etcd member was removed (line ${removed_at:-none}) before it was drained (line ${drained_at:-none})" \
  test "${removed_at:-999999}" -lt "${drained_at:-0}"
check "the Node kha-node-3 is gone" node_gone kha-node-3
check "kha-node-3's host is reset" host_reset kha-node-3
check "the worker's proxy no longer lists kha-node-3" proxy_omits 10.77.0.13
check "  and lists the three left" proxy_lists 10.77.0.11 10.77.0.12 10.77.0.15
judge "3 control planes again" kha-node-2 1 2 5
# a worker that stays in the config cannot become a control plane in place: refused before anything runs
set_hosts "- { name: kha-node-1, address: 10.77.0.11, $CP_ETCD" "- { name: kha-node-2, address: 10.77.0.12, $CP_ETCD" \
  "- { name: kha-node-4, address: 10.77.0.14, roles: [control-plane, worker] }" "- { name: kha-node-5, address: 10.77.0.15, $CP_ETCD"
said=$(pl preview 2>&1 || true)
check "a worker turned control plane in place is refused, naming hosts[2].roles and the fix" \
  grep -q "kubeadm-ha:hosts\[2\].roles: kha-node-4 runs as worker; changing it to control-plane, worker in place is not supported" <<<"$said"
set_hosts "- { name: kha-node-1, address: 10.77.0.11, $CP_ETCD" "- { name: kha-node-2, address: 10.77.0.12, $CP_ETCD" \
  "$W4" "- { name: kha-node-5, address: 10.77.0.15, $CP_ETCD"

# ---- 3. the first control plane's host wiped and given back ----------------------------------------
timed "wipe kha-node-1 (fresh disk, new host key)" bash "$LAB" wipe-host kha-node-1 >/dev/null
check "kha-node-1 holds nothing of the cluster" host_reset kha-node-1
timed "pulumi up rejoining kha-node-1" pl up --yes --skip-preview > "$E2E_STATE/cp-rejoin.log" 2>&1 ||
  { failed_run "$E2E_STATE/cp-rejoin.log"; exit 1; }
check "its etcd member was replaced (the data was gone)" grep -q "its data is gone: replacing member" "$E2E_STATE/cp-rejoin.log"
check "it joined the running cluster instead of kubeadm init" grep -q "joining it as a control plane instead of kubeadm init" "$E2E_STATE/cp-rejoin.log"
check "  and never ran kubeadm init" lacks "kubeadm-ha\[kubeadm-init\]: kubeadm init$" "$(cat "$E2E_STATE/cp-rejoin.log")"
check "kha-node-1 is a Ready control plane again (bounded 3 min)" wait_until "kha-node-1 Ready" 60 3 cp_ready kha-node-1
judge "first control plane rejoined" kha-node-1 1 2 5
check "the ConfigMap written at the start reads back" test "$(k get configmap drill-start -o jsonpath='{.data.written}')" = at-the-start
check "so do the writes of every step" test "$(k get configmap -o name | grep -c '^configmap/write-')" -ge 4

timed "pulumi destroy" pl destroy --yes --skip-preview > "$E2E_STATE/cp-destroy.log" 2>&1 || { failed_run "$E2E_STATE/cp-destroy.log"; exit 1; }
for i in 1 2 4 5; do check "kha-node-$i reset" host_reset "kha-node-$i"; done
e2e_stack_rm
E2E_STACK=""
e2e_finish
