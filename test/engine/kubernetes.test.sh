#!/usr/bin/env bash
# Upstream's kubernetes plugin (dev/engine/build-kubernetes.sh) through the real engine, against a REAL
# kube-apiserver: etcd 3.5.21 (dev/lab/etcd-build.sh), a kube-apiserver v1.34.1 on 127.0.0.1 with
# openssl-made certificates and an audit log, and kube-controller-manager (namespace + garbage
# collector controllers only, so that deletions finish); a Node made with kubectl. Then
# fixtures/kubernetes (the objects components/serviceLoadBalancer.ts makes, with the same provider
# options) goes through: preview (kubeconfig unknown: no request in the audit log) / up / kubectl
# checks / secrets encrypted in the state / ConfigMap change = a diff in the preview (server-side
# dry run) and an in-place update / no-op up / await timeout = partial failure / immutable
# DaemonSet selector = replacement / refresh / destroy (namespace gone, the node loses the patch's
# label and keeps its own) / up again, the cluster killed, destroy still completes
# (deleteUnreachable). Every process it starts is killed by PID; everything is on loopback.
#
# Usage: test/engine/kubernetes.test.sh
# Kubernetes binaries (kube-apiserver, kube-controller-manager, kubectl) are taken from
# $KHA_K8S_BIN, else from dev/lab/artifacts/build.sh's cache (built or reused here).
set -euo pipefail
# shellcheck source=test/engine/lib.sh
source "$(dirname "$0")/lib.sh"
repo=$REPO
export CGO_ENABLED=0

engine_require_toolchain
engine_skip_unless_plugin kubernetes
K8S_VERSION=1.34.1
if [[ -z "${KHA_K8S_BIN:-}" ]]; then bash "$repo/dev/lab/artifacts/build.sh" "$K8S_VERSION" >/dev/null; fi

find_k8s_bin() { # <name>
  local d
  for d in "${KHA_K8S_BIN:-}" "$KHA_CACHE/artifacts/k8s-$K8S_VERSION/build/k8s" "$KHA_CACHE/artifacts/k8s-$K8S_VERSION/bin" \
    "$repo/dev/lab/.work/artifacts/build/k8s" "$repo/dev/lab/.work/artifacts/bin"; do
    if [[ -n "$d" && -x "$d/$1" ]]; then
      echo "$d/$1"
      return
    fi
  done
  say "FAIL: $1 not found (set KHA_K8S_BIN or run dev/lab/artifacts/build.sh)" >&2
  return 1
}
apiserver_bin=$(find_k8s_bin kube-apiserver)
kcm_bin=$(find_k8s_bin kube-controller-manager)
kubectl_bin=$(find_k8s_bin kubectl)
etcd_dir=$(bash "$repo/dev/lab/etcd-build.sh")
for tool in pulumi pulumi-language-nodejs node openssl python3; do
  command -v "$tool" >/dev/null || { say "FAIL: $tool is not on PATH (dev/engine/toolchain.sh builds pulumi and the host)"; exit 1; }
done
"$apiserver_bin" --version | grep -q "v$K8S_VERSION" || say "note: $("$apiserver_bin" --version), not v$K8S_VERSION"

engine_stage_fixture kubernetes
work=$ENGINE_WORK
pids=()
# stop_cluster: newest first (controller-manager, apiserver, etcd); TERM, then KILL after 15 s
stop_cluster() {
  local i pid
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid=${pids[i]}
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 30); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}
ENGINE_CLEANUPS+=(stop_cluster)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --- certificates (openssl) ---
pki="$work/pki"
mkdir -p "$pki"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 1 -subj /CN=kha-kp-test-ca 2>/dev/null
sign() { # <name> <subject> <extensions>
  openssl req -newkey rsa:2048 -nodes -keyout "$pki/$1.key" -out "$pki/$1.csr" -subj "$2" 2>/dev/null
  printf '%b' "$3" >"$pki/$1.ext"
  openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 1 \
    -extfile "$pki/$1.ext" -out "$pki/$1.crt" 2>/dev/null
}
sign apiserver /CN=kube-apiserver 'subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.96.0.1\nextendedKeyUsage=serverAuth\n'
sign admin "/O=system:masters/CN=kha-admin" 'extendedKeyUsage=clientAuth\n'
openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
cat >"$work/audit-policy.yaml" <<'YAML'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
YAML

# --- etcd, kube-apiserver, kube-controller-manager ---
etcd_port=$(free_port)
peer_port=$(free_port)
api_port=$(free_port)
"$etcd_dir/etcd" --name kp --data-dir "$work/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "kp=http://127.0.0.1:$peer_port" --listen-metrics-urls "" >"$work/etcd.log" 2>&1 &
pids+=($!)
"$apiserver_bin" --etcd-servers="http://127.0.0.1:$etcd_port" --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
  --secure-port="$api_port" --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" --service-account-issuer=https://kubernetes.default.svc \
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
  --service-cluster-ip-range=10.96.0.0/12 --authorization-mode=RBAC --allow-privileged=true \
  --disable-admission-plugins=ServiceAccount --cert-dir="$work/apiserver-certs" --profiling=false \
  --audit-policy-file="$work/audit-policy.yaml" --audit-log-path="$work/audit.log" >"$work/apiserver.log" 2>&1 &
pids+=($!)

kubeconfig="$work/admin.kubeconfig"
kc() { "$kubectl_bin" --kubeconfig "$kubeconfig" "$@"; }
kc config set-cluster kp --server="https://127.0.0.1:$api_port" --certificate-authority="$pki/ca.crt" --embed-certs >/dev/null
kc config set-credentials admin --client-certificate="$pki/admin.crt" --client-key="$pki/admin.key" --embed-certs >/dev/null
kc config set-context kp --cluster=kp --user=admin >/dev/null
kc config use-context kp >/dev/null

ready=0
for _ in $(seq 1 120); do
  if kc get --raw /readyz >/dev/null 2>&1; then
    ready=1
    break
  fi
  sleep 1
done
[[ $ready == 1 ]] || { say "FAIL: kube-apiserver not ready after 120 s"; tail -20 "$work/apiserver.log"; exit 1; }
say "kube-apiserver $("$apiserver_bin" --version | cut -d' ' -f2) ready on 127.0.0.1:$api_port"
"$kcm_bin" --kubeconfig="$kubeconfig" --controllers=namespace,garbagecollector --leader-elect=false \
  --bind-address=127.0.0.1 --secure-port=0 >"$work/controller-manager.log" 2>&1 &
pids+=($!)

node=kha-kp-node-1
kc apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Node
metadata:
  name: $node
  labels: {existing: "yes"}
YAML
check "test node created with kubectl" kc get node "$node"

# --- the engine ---
say "pulumi $(pulumi version), host $(pulumi-language-nodejs -version), $(pulumi plugin ls 2>/dev/null | grep -E '^kubernetes ' | tr -s ' ')"
password="kp-test-password-$RANDOM$RANDOM"
pulumi stack init dev --non-interactive >/dev/null
pulumi config set --secret kubeconfig -- "$(cat "$kubeconfig")"
pulumi config set nodeName "$node"
pulumi config set haproxyCfg "global v1"
pulumi config set --secret password "$password"
pulumi config set clusterIdentifier kha-kp-test/ca-1

ours() { grep -c '"userAgent":"pulumi-kubernetes/' "$work/audit.log" || true; }
# writes: requests of the plugin that change the cluster (a dry run changes nothing)
writes() {
  grep '"userAgent":"pulumi-kubernetes/' "$work/audit.log" | grep -E '"verb":"(create|update|patch|delete|deletecollection)"' |
    grep -vc 'dryRun=All' || true
}
# dry runs: requests of the plugin that the apiserver ran with dryRun=All and did not persist
dry_runs() { grep '"userAgent":"pulumi-kubernetes/' "$work/audit.log" | grep -c 'dryRun=All' || true; }
run() { # <log> <pulumi args...>
  local log="$1"
  shift
  if ! pulumi "$@" --non-interactive >"$log" 2>&1; then
    say "pulumi $* failed:"
    cat "$log"
    return 1
  fi
}

n0=$(ours)
w0=$(writes)
run preview1.log preview
check "first preview (kubeconfig unknown) plans the creates" grep -Eq "\+ +kubernetes:apps/v1:DaemonSet +ds +create" preview1.log
check "first preview plans the NodePatch" grep -Eq "\+ +kubernetes:core/v1:NodePatch +label +create" preview1.log
check "the preview changed nothing in the cluster (no write but dry runs)" test "$(writes)" = "$w0"

run up1.log up --yes --skip-preview
for r in "core/v1:Namespace +ns" "core/v1:ConfigMap +config" "core/v1:ConfigMap +auto" "core/v1:Secret +creds" \
  "core/v1:Service +svc" "apps/v1:DaemonSet +ds" "core/v1:NodePatch +label"; do
  check "up created $r" grep -Eq "kubernetes:$r +created" up1.log
done
check "the plugin talked to the cluster" test "$(ours)" -gt "$n0"
ns=kha-kp-test
check "namespace is Active (kubectl)" test "$(kc get ns "$ns" -o jsonpath='{.status.phase}')" = Active
check "nsPhase output is Active" test "$(pulumi stack output nsPhase)" = Active
check "ConfigMap data (kubectl)" test "$(kc -n "$ns" get cm service-loadbalancer -o jsonpath='{.data.haproxy\.cfg}')" = "global v1"
auto=$(pulumi stack output autoName)
check "autonamed ConfigMap $auto is auto-<8 hex>" grep -Eq '^auto-[0-9a-f]{8}$' <<<"$auto"
check "autonamed ConfigMap exists (kubectl)" kc -n "$ns" get cm "$auto"
check "Service nodePort 30800 (kubectl)" test "$(kc -n "$ns" get svc service-loadbalancer -o jsonpath='{.spec.ports[0].nodePort}')" = 30800
check "clusterIP output matches kubectl" test "$(pulumi stack output clusterIP)" = "$(kc -n "$ns" get svc service-loadbalancer -o jsonpath='{.spec.clusterIP}')"
check "nodePort output" test "$(pulumi stack output nodePort)" = 30800
check "DaemonSet exists (kubectl)" kc -n "$ns" get ds service-loadbalancer
check "DaemonSet carries the ConfigMap volume" test "$(kc -n "$ns" get ds service-loadbalancer -o jsonpath='{.spec.template.spec.volumes[0].configMap.name}')" = service-loadbalancer
check "node got role=loadbalancer" test "$(kc get node "$node" -o jsonpath='{.metadata.labels.role}')" = loadbalancer
check "node kept its own label" test "$(kc get node "$node" -o jsonpath='{.metadata.labels.existing}')" = yes
check "the label is owned by the patch's own field manager" \
  bash -c "'$kubectl_bin' --kubeconfig '$kubeconfig' get node '$node' --show-managed-fields -o json | grep -q '\"manager\": \"pulumi-kubernetes-'"
check "Secret holds the password (kubectl)" test "$(kc -n "$ns" get secret creds -o jsonpath='{.data.password}' | base64 -d)" = "$password"
check "Secret type output" test "$(pulumi stack output secretType)" = Opaque
pulumi stack export >state1.json
key_b64=$(grep 'client-key-data:' "$kubeconfig" | awk '{print $2}' | cut -c 100-160)
check "kubeconfig is not in the state in clear" bash -c "! grep -qF -- '$key_b64' state1.json && ! grep -rqF -- '$key_b64' '$work/state'"
check "password is not in the state in clear" bash -c "! grep -rqF -- '$password' '$work/state' && ! grep -qF -- '$(printf %s "$password" | base64)' state1.json"
check "provider kubeconfig is a secret in the state" python3 - state1.json <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))
prov = [r for r in st["deployment"]["resources"] if r["type"] == "pulumi:providers:kubernetes"]
kc = prov[0]["inputs"]["kubeconfig"]
sys.exit(0 if isinstance(kc, dict) and kc.get("4dabf18193072939515e22adb298388d") == "1b47061264138c4ac30d75fd1eb44270" else 1)
PY
uid1=$(kc -n "$ns" get cm service-loadbalancer -o jsonpath='{.metadata.uid}')

# --- change the ConfigMap data: an in-place update ---
pulumi config set haproxyCfg "global v2"
w1=$(writes)
run preview2.log preview --diff
check "preview shows the ConfigMap as an update" grep -Eq "~ kubernetes:core/v1:ConfigMap: \\(update\\)" preview2.log
check "preview shows the data change" grep -Eq 'haproxy.cfg: "global v1" => "global v2"' preview2.log
check "preview replaces nothing" bash -c "! grep -Eqi 'replace' preview2.log"
check "preview knows the outputs (uid) of the updated ConfigMap" bash -c "! grep -q 'Undefined value (cmUid)' preview2.log"
check "preview shows nothing else changing" grep -Eq "1 to update" preview2.log
check "the preview (kubeconfig known) asked the cluster: a server-side dry run" test "$(dry_runs)" -gt 0
check "and wrote nothing" test "$(writes)" = "$w1"
run up2.log up --yes --skip-preview
check "up updated the ConfigMap" grep -Eq "kubernetes:core/v1:ConfigMap +config +updated" up2.log
check "new data (kubectl)" test "$(kc -n "$ns" get cm service-loadbalancer -o jsonpath='{.data.haproxy\.cfg}')" = "global v2"
check "same object (uid unchanged)" test "$(kc -n "$ns" get cm service-loadbalancer -o jsonpath='{.metadata.uid}')" = "$uid1"
check "cmUid output is the live uid" test "$(pulumi stack output cmUid)" = "$uid1"

# --- nothing to do ---
run up3.log up --yes --skip-preview
check "third up changes nothing" bash -c "grep -Eq '[0-9]+ unchanged' up3.log && ! grep -Eq '(updated|created|deleted|replaced)' up3.log"
# --- a new admin credential (a renewed certificate): the provider updates, nothing is replaced ---
# (clusterIdentifier: upstream otherwise replaces the provider, and every object, whenever the
# kubeconfig is unknown at preview time, as it is while a certificate is being renewed)
sign admin2 "/O=system:masters/CN=kha-admin-renewed" 'extendedKeyUsage=clientAuth\n'
cp "$kubeconfig" "$work/admin2.kubeconfig"
"$kubectl_bin" --kubeconfig "$work/admin2.kubeconfig" config set-credentials admin \
  --client-certificate="$pki/admin2.crt" --client-key="$pki/admin2.key" --embed-certs >/dev/null
pulumi config set --secret kubeconfig -- "$(cat "$work/admin2.kubeconfig")"
run preview-renew.log preview --diff
check "the renewal previews as an update of the provider" grep -Eq "~ pulumi:providers:kubernetes: \(update\)" preview-renew.log
check "and replaces nothing" bash -c "! grep -Eqi 'replace' preview-renew.log"
run up-renew.log up --yes --skip-preview
check "the up with the new credential replaced nothing" bash -c "! grep -Eq '(replaced|deleted|created)' up-renew.log"
check "same ConfigMap object after the renewal (uid unchanged)" test "$(kc -n "$ns" get cm service-loadbalancer -o jsonpath='{.metadata.uid}')" = "$uid1"

# --- await: a Deployment that never rolls out fails the up after its 3 s timeout ---
pulumi config set probeAwait true
t0=$SECONDS
if pulumi up --yes --skip-preview --non-interactive >up4.log 2>&1; then
  check "up with a never-ready Deployment fails" false
fi
check "the await gave up after the annotation's 3 s, not the default 10 min ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -lt 120
check "the error says it timed out waiting to be Ready" grep -q "timed out waiting to be Ready" up4.log
check "the error says what was missing" grep -q "Minimum number of live Pods was not attained" up4.log
check "the applied Deployment stays in the state (partial failure)" bash -c "pulumi stack export | grep -q 'kubernetes:apps/v1:Deployment::probe'"
probe=$(kc -n "$ns" get deploy -o jsonpath='{.items[0].metadata.name}')
check "the Deployment $probe exists (kubectl)" grep -Eq '^probe-[0-9a-f]{8}$' <<<"$probe"

# --- immutable selector: the DaemonSet is replaced (delete first: same name) ---
ds_uid1=$(kc -n "$ns" get ds service-loadbalancer -o jsonpath='{.metadata.uid}')
pulumi config rm probeAwait
pulumi config set dsApp lb2
run up5.log up --yes --skip-preview
check "the DaemonSet was replaced" grep -Eq "kubernetes:apps/v1:DaemonSet +ds +replaced" up5.log
check "the Service selector changed in place" grep -Eq "kubernetes:core/v1:Service +svc +updated" up5.log
check "the probe Deployment was deleted" grep -Eq "kubernetes:apps/v1:Deployment +probe +deleted" up5.log
check "no Deployment left (kubectl; foreground deletion finished)" test -z "$(kc -n "$ns" get deploy -o name)"
check "new DaemonSet object (uid changed)" test "$(kc -n "$ns" get ds service-loadbalancer -o jsonpath='{.metadata.uid}')" != "$ds_uid1"
check "dsUid output is the new uid" test "$(pulumi stack output dsUid)" = "$(kc -n "$ns" get ds service-loadbalancer -o jsonpath='{.metadata.uid}')"
check "new selector (kubectl)" test "$(kc -n "$ns" get ds service-loadbalancer -o jsonpath='{.spec.selector.matchLabels.app}')" = lb2
check "Service selector (kubectl)" test "$(kc -n "$ns" get svc service-loadbalancer -o jsonpath='{.spec.selector.app}')" = lb2

run refresh.log refresh --yes --skip-preview
run preview3.log preview --expect-no-changes
check "after refresh, preview expects no changes" true

# --- destroy ---
run destroy.log destroy --yes --skip-preview
check "destroy deleted the DaemonSet" grep -Eq "kubernetes:apps/v1:DaemonSet +ds +deleted" destroy.log
check "namespace is gone (kubectl)" bash -c "! '$kubectl_bin' --kubeconfig '$kubeconfig' get ns '$ns' 2>/dev/null"
check "node still exists" kc get node "$node"
check "node label role removed" test -z "$(kc get node "$node" -o jsonpath='{.metadata.labels.role}')"
check "node kept its own label after destroy" test "$(kc get node "$node" -o jsonpath='{.metadata.labels.existing}')" = yes
check "node annotation from the patch removed" bash -c "! '$kubectl_bin' --kubeconfig '$kubeconfig' get node '$node' -o jsonpath='{.metadata.annotations}' | grep -q patchForce"

# --- the cluster gone: destroy still completes (deleteUnreachable) ---
pulumi config set dsApp service-loadbalancer
run up6.log up --yes --skip-preview
check "up again created the objects" grep -Eq "kubernetes:apps/v1:DaemonSet +ds +created" up6.log
stop_cluster
t0=$SECONDS
run destroy2.log destroy --yes --skip-preview
check "destroy with the cluster gone completed ($((SECONDS - t0)) s)" grep -Eq "kubernetes:apps/v1:DaemonSet +ds +deleted" destroy2.log
check "the provider said why it forgot the objects" grep -q "unreachable" destroy2.log
check "nothing left in the state" test "$(pulumi stack export | jq '[.deployment.resources[]? | select(.type | startswith("kubernetes:"))] | length')" = 0
pulumi stack rm --yes --non-interactive >/dev/null

engine_finish
