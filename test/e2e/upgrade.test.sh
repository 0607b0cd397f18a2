#!/usr/bin/env bash
# Issue 16 upgrade drill: 3 control planes carrying etcd (kha-node-1..3) and 2 workers (kha-node-4,
# kha-node-5) brought up on Kubernetes 1.34.1, then upgraded to 1.35.4 by changing one config line
# (kubernetesVersion; artifacts.dir names each version's directory):
#   - the preview prints the ordered plan before anything runs
#   - a bounded request loop through kha-node-4's apiserver proxy runs through the whole `pulumi up`
#     and counts its failed requests
#   - afterwards every node's kubelet, every control-plane component, kube-proxy and CoreDNS run the
#     new version (CoreDNS: the one kubeadm 1.35.4 lists), no node is left cordoned, a workload
#     moved by the drains runs, the ConfigMap written before reads back, writes succeed, an etcd
#     snapshot was taken first, and the stack's kubernetesVersion output says 1.35.4
#   - the next `up` runs nothing on the hosts; a minor skipped (1.37) is refused before anything runs
# Prints the time of every step.
set -euo pipefail
# shellcheck source=test/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

OLD=1.34.1
NEW=1.35.4
e2e_require_engine
# both versions' artifacts (built or reused; the older one last, so the lab's default link stays on it)
timed "artifacts $NEW (build or reuse)" bash "$REPO/dev/lab/artifacts/build.sh" "$NEW" >/dev/null
e2e_kubernetes
for v in "$OLD" "$NEW"; do ln -sfn "$KHA_CACHE/artifacts/k8s-$v" "$REPO/dev/lab/.work/artifacts-$v"; done

timed "lab boot (5 hosts)" bash "$LAB" up 5 >/dev/null
e2e_stack e2e-upgrade

ready_count() { [[ $(k get nodes --no-headers 2>/dev/null | grep -c ' Ready ') == "$1" ]]; }
write_configmap() { k create configmap "$1" --from-literal=written="$1" --dry-run=client -o yaml | k apply -f - >/dev/null; }
reads_back() { [[ "$(k get configmap "$1" -o jsonpath='{.data.written}' 2>/dev/null)" == "$1" ]]; }
lacks() { ! grep -q "$1" <<<"$2"; }

timed "pulumi up from bare hosts on $OLD (3 control planes with etcd + 2 workers)" pl up --yes --skip-preview \
  >"$E2E_STATE/upgrade-up.log" 2>&1 || { failed_run "$E2E_STATE/upgrade-up.log"; exit 1; }
(cd "$REPO" && pulumi stack output kubeconfig --show-secrets --stack "$E2E_STACK") >"$WORK/admin.conf"
check "5 nodes Ready on $OLD (bounded 3 min)" wait_until "5 nodes Ready" 60 3 ready_count 5
check "the stack says it runs $OLD" test "$(cd "$REPO" && pulumi stack output kubernetesVersion --stack "$E2E_STACK")" = "$OLD"
write_configmap before-upgrade
# a workload on the workers, which the drains move from node to node
k create deployment echo --image=kubeadm-ha.local/echo:lab --replicas=2 >/dev/null
check "the workload runs (bounded 2 min)" wait_until "2 echo pods" 40 3 bash -c "[[ \$('$LAB' exec '$KUBECTL' --kubeconfig '$WORK/admin.conf' get deploy echo -o jsonpath='{.status.readyReplicas}') == 2 ]]"
snapshots_before=$(on_host kha-node-1 'ls /var/lib/kubeadm-ha/etcd-snapshots/*.db 2>/dev/null | wc -l')

# ---- the one config line, and the preview's plan ----------------------------------------------------
(cd "$REPO" && pulumi config set kubeadm-ha:kubernetesVersion "$NEW" --stack "$E2E_STACK")
timed "pulumi preview of the upgrade" pl preview >"$E2E_STATE/upgrade-preview.log" 2>&1 || { failed_run "$E2E_STATE/upgrade-preview.log"; exit 1; }
plan=$(sed -n "/Kubernetes $OLD -> $NEW, in this order:/,/kha-node-5:/p" "$E2E_STATE/upgrade-preview.log")
say "the preview's plan:"; printf '%s\n' "$plan" | sed 's/^/    /'
in_order() { grep -q "etcd snapshot" <<<"$plan" && [[ "$(grep -o 'kha-node-[1-5]: [a-z]*' <<<"$plan" | cut -d: -f1 | tr '\n' ' ')" == "kha-node-1 kha-node-2 kha-node-3 kha-node-4 kha-node-5 " ]]; }
check "the preview shows the ordered plan: snapshot, kha-node-1 (apply), kha-node-2, kha-node-3, then each worker" in_order
check "  kha-node-1 runs kubeadm upgrade apply" grep -q "kha-node-1: kubeadm upgrade apply v$NEW" <<<"$plan"
check "  the workers are drained, one at a time" grep -q "kha-node-4: cordon and drain" <<<"$plan"

# ---- the upgrade, with a request loop through a worker's proxy ------------------------------------------
sed 's#server: https://.*#server: https://localhost:6443#' "$WORK/admin.conf" | on_host kha-node-4 'umask 077 && cat > /root/admin-proxy.conf'
proxy_probe kha-node-4 2400 &
probe_pid=$!
timed "pulumi up upgrading $OLD -> $NEW" pl up --yes --skip-preview >"$E2E_STATE/upgrade-upgrade.log" 2>&1 ||
  { touch "$WORK/probe-stop"; failed_run "$E2E_STATE/upgrade-upgrade.log"; exit 1; }
touch "$WORK/probe-stop"
wait "$probe_pid" || true
read -r probe_ok probe_failed <"$WORK/probe-result"
say "requests through kha-node-4's proxy during the upgrade: $probe_ok answered, $probe_failed failed"
check "the API kept answering through the upgrade (at most 10 of $((probe_ok + probe_failed)) requests failed)" test "$probe_failed" -le 10

# ---- what runs now -----------------------------------------------------------------------------------
kubelet_versions() { k get nodes -o jsonpath='{range .items[*]}{.metadata.name}={.status.nodeInfo.kubeletVersion}{"\n"}{end}'; }
say "kubelets:"; kubelet_versions | sed 's/^/    /'
check "every node's kubelet reports v$NEW" test "$(kubelet_versions | grep -c "=v$NEW$")" = 5
check "5 nodes Ready" wait_until "5 nodes Ready" 60 3 ready_count 5
check "no node is left cordoned" test -z "$(k get nodes -o jsonpath='{range .items[*]}{.spec.unschedulable}{end}')"
check "the apiserver reports v$NEW" bash -c "'$LAB' exec '$KUBECTL' --kubeconfig '$WORK/admin.conf' version -o json | grep -q '\"gitVersion\": \"v$NEW\"'"
images() { k -n kube-system get pods -o jsonpath='{range .items[*]}{.spec.containers[0].image}{"\n"}{end}' | sort | uniq -c; }
say "kube-system images:"; images | sed 's/^/    /'
for c in kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do
  check "every $c runs v$NEW, none the old one" bash -c "imgs=\$('$LAB' exec '$KUBECTL' --kubeconfig '$WORK/admin.conf' -n kube-system get pods -o jsonpath='{range .items[*]}{.spec.containers[0].image}{\"\\n\"}{end}' | grep '/$c:'); [[ -n \"\$imgs\" ]] && ! grep -qv ':v$NEW\$' <<<\"\$imgs\""
done
coredns_new=$("$KHA_CACHE/artifacts/k8s-$NEW/bin/kubeadm" config images list --kubernetes-version "v$NEW" 2>/dev/null | grep /coredns:)
check "CoreDNS runs ${coredns_new##*/} (kubeadm $NEW's)" test "$(k -n kube-system get deploy coredns -o jsonpath='{.spec.template.spec.containers[0].image}')" = "$coredns_new"
check "CoreDNS is available" wait_until "coredns available" 40 3 bash -c "[[ \$('$LAB' exec '$KUBECTL' --kubeconfig '$WORK/admin.conf' -n kube-system get deploy coredns -o jsonpath='{.status.availableReplicas}') -ge 1 ]]"
check "the workload runs on (2 ready replicas, bounded 2 min)" wait_until "2 echo pods" 40 3 bash -c "[[ \$('$LAB' exec '$KUBECTL' --kubeconfig '$WORK/admin.conf' get deploy echo -o jsonpath='{.status.readyReplicas}') == 2 ]]"
check "the ConfigMap written before the upgrade reads back" reads_back before-upgrade
check "kubectl writes succeed" write_configmap after-upgrade
check "an etcd snapshot was taken before the upgrade" test "$(on_host kha-node-1 'ls /var/lib/kubeadm-ha/etcd-snapshots/*.db 2>/dev/null | wc -l')" -gt "$snapshots_before"
check "the control planes were upgraded in turn: apply on kha-node-1, upgrade node on the others" \
  bash -c "grep -q 'upgrading kha-node-1 from v$OLD to v$NEW (apply)' '$E2E_STATE/upgrade-upgrade.log' && [[ \$(grep -c 'to v$NEW (node)' '$E2E_STATE/upgrade-upgrade.log') == 2 ]]"
for w in kha-node-4 kha-node-5; do
  check "$w was drained, upgraded and uncordoned" bash -c "grep -q 'drained $w for its upgrade from v$OLD' '$E2E_STATE/upgrade-upgrade.log' &&
    grep -q '$w runs v$NEW' '$E2E_STATE/upgrade-upgrade.log' && grep -q 'uncordoned $w' '$E2E_STATE/upgrade-upgrade.log'"
done
check "the stack says it runs $NEW" test "$(cd "$REPO" && pulumi stack output kubernetesVersion --stack "$E2E_STACK")" = "$NEW"

# ---- the next up; a skipped minor -------------------------------------------------------------------------
timed "pulumi up after the upgrade" pl up --yes --skip-preview >"$E2E_STATE/upgrade-after.log" 2>&1 || { failed_run "$E2E_STATE/upgrade-after.log"; exit 1; }
check "  runs nothing on the hosts (it only drops the upgrade's own steps)" lacks "command:remote:Command .*\(creat\|updat\)" "$(cat "$E2E_STATE/upgrade-after.log")"
(cd "$REPO" && pulumi config set kubeadm-ha:kubernetesVersion 1.37.2 --stack "$E2E_STACK")
skip=$(pl preview 2>&1 || true)
check "1.35.4 -> 1.37.2 is refused before anything runs, with the path" grep -q "kubeadm upgrades one minor version at a time, and 1.37.2 skips 1.36.x" <<<"$skip"
check "  the fix names each step" grep -q "$NEW -> 1.36.x -> 1.37.2" <<<"$skip"
(cd "$REPO" && pulumi config set kubeadm-ha:kubernetesVersion "$NEW" --stack "$E2E_STACK")

timed "pulumi destroy" pl destroy --yes --skip-preview >"$E2E_STATE/upgrade-destroy.log" 2>&1 || { failed_run "$E2E_STATE/upgrade-destroy.log"; exit 1; }
e2e_stack_rm
E2E_STACK=""
e2e_finish
