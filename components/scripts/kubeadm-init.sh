#!/usr/bin/env bash
# First control plane: `kubeadm init` with the certificates ClusterPki placed under
# /etc/kubernetes/pki (kubeadm keeps them and only signs the kubeconfigs). On re-runs of an
# initialised node it regenerates the static pod manifests when the config or certificates
# changed, so a `pulumi up` that changes cluster settings converges. Waits for the apiserver.
#
# The security defaults' files (encryption config, audit policy, authentication config) are
# tracked like the certificates, so turning one on or off converges too. Installs or removes the
# kubelet serving-certificate approver, and approves this node's own request at once.
#
# `kubeadm init` runs once per cluster, ever. A host without admin.conf first asks etcd whether a
# cluster exists (kube-system is stored): then this host was wiped or replaced, and it joins the
# running cluster as a control plane instead (kubeadm-rejoin.yaml), through another control plane's
# apiserver, with a token it makes itself (it holds the CA). etcd holding a cluster that no other
# apiserver serves is refused: `kubeadm init` over it would overwrite the cluster's own objects.
#
# Environment: KHA_NODE_NAME, KHA_ETCD_ENDPOINTS (comma-separated https URLs), KHA_OTHER_APISERVERS
# (host:port of the other control planes, space-separated), KHA_DRAIN_TIMEOUT and KHA_IGNORE_PREFLIGHT
# (an upgrade: kubeadm-upgrade.sh), KHA_ROOT (tests), KHA_APPROVE_TRIES (60, a second apart),
# KHA_NODE_GONE_TRIES (45: how long a rejoin waits for the old Node to go NotReady, 2 s each).
# Files: /etc/kubeadm-ha/kubeadm.yaml, kubeadm-rejoin.yaml and hardening.env, the PKI, the security
# defaults' files. Marks: init-started and join-started, each removed only once its kubeadm
# command succeeded; a mark found at the start means that command was interrupted.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

config="$KHA_KUBEADM_CONFIG"
kubeconfig="$KHA_ADMIN_CONF"
default_token_mark="$KHA_STATE_DIR/default-token-to-delete"
tracked=("$config" "$KHA_PKI_DIR"/*.crt "$KHA_PKI_DIR"/*.key "$KHA_PKI_DIR"/sa.pub
  "$KHA_ENCRYPTION_CONFIG" "$KHA_AUDIT_POLICY" "$KHA_AUTHENTICATION_CONFIG")

# etcd_holds_cluster: whether etcd stores a Kubernetes cluster (its kube-system namespace), asked
# through etcd's HTTP gateway with the apiserver's own client certificate. Dies when no endpoint answers.
etcd_holds_cluster() {
  local endpoint answer key
  : "${KHA_ETCD_ENDPOINTS:?}"
  key=$(printf '%s' /registry/namespaces/kube-system | base64 -w0)
  for endpoint in ${KHA_ETCD_ENDPOINTS//,/ }; do
    answer=$(curl -fsS --max-time 5 --cacert "$KHA_ETCD_PKI_DIR/ca.crt" --cert "$KHA_PKI_DIR/apiserver-etcd-client.crt" \
      --key "$KHA_PKI_DIR/apiserver-etcd-client.key" -X POST -d "{\"key\":\"$key\",\"count_only\":true}" \
      "$endpoint/v3/kv/range" 2>/dev/null) || continue
    # ({"header":{...},"count":"1"}; a count of 0 is left out)
    [[ "$answer" =~ \"count\":\"[1-9] ]]
    return
  done
  die "no etcd endpoint answers ($KHA_ETCD_ENDPOINTS): cannot tell whether a cluster exists, so neither init nor join"
}

# node_ready NAME KUBECONFIG: the Node exists and reports Ready
node_ready() {
  [[ "$(kubectl --kubeconfig "$2" --request-timeout=10s get node "$1" \
    -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}
node_not_ready() { ! node_ready "$@"; }

# rejoin: this host lost its state (wiped, replaced) while the cluster runs on: `kubeadm join
# --control-plane` through another control plane, with a bootstrap token made with an admin
# credential signed here by the cluster CA (ClusterPki placed it), deleted once joined.
rejoin() {
  : "${KHA_NODE_NAME:?}"
  local work server="" endpoint cluster token
  work=$(mktemp -d)
  # shellcheck disable=SC2064 # (expanded now: the paths are fixed)
  trap "rm -rf '$work' '$KHA_DISCOVERY_CONF'" EXIT
  log "etcd already holds this cluster: joining it as a control plane instead of kubeadm init"
  kubeadm init phase kubeconfig admin --config "$config" --kubeconfig-dir "$work" >/dev/null
  for endpoint in ${KHA_OTHER_APISERVERS:-}; do
    if kubectl --kubeconfig "$work/admin.conf" --server "https://$endpoint" --request-timeout=5s get --raw /readyz >/dev/null 2>&1; then
      server=$endpoint
      break
    fi
  done
  [[ -n "$server" ]] || die "etcd holds this cluster but no other control plane's apiserver answers (${KHA_OTHER_APISERVERS:-none configured}): this host cannot join it, and kubeadm init would overwrite it. Bring another control plane back first"
  cluster=$(kubectl --kubeconfig "$work/admin.conf" config view -o 'jsonpath={.clusters[0].name}')
  kubectl --kubeconfig "$work/admin.conf" config set-cluster "$cluster" --server "https://$server" >/dev/null
  # the old Node of this name: kubeadm refuses a join over a Ready one; a NotReady one is deleted
  # (its pods went with the host), a Ready one means another machine runs under this name
  if kubectl --kubeconfig "$work/admin.conf" --request-timeout=10s get node "$KHA_NODE_NAME" >/dev/null 2>&1; then
    wait_for "the Node $KHA_NODE_NAME of the lost host to go NotReady (is another machine running under this name?)" \
      "${KHA_NODE_GONE_TRIES:-45}" 2 node_not_ready "$KHA_NODE_NAME" "$work/admin.conf"
    kubectl --kubeconfig "$work/admin.conf" --request-timeout=10s delete node "$KHA_NODE_NAME" >/dev/null
    log "deleted the NotReady Node $KHA_NODE_NAME left by the lost host"
  fi
  token=$(kubeadm token create --kubeconfig "$work/admin.conf" --ttl 15m --description "kubeadm-ha join of $KHA_NODE_NAME")
  # the discovery kubeconfig: that apiserver, the CA, the token as its only credential (mode 0600)
  (
    umask 077
    cat >"$KHA_DISCOVERY_CONF" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: kubernetes
    cluster:
      server: https://$server
      certificate-authority-data: $(base64 -w0 <"$KHA_PKI_DIR/ca.crt")
contexts:
  - name: discovery
    context: { cluster: kubernetes, user: discovery }
current-context: discovery
users:
  - name: discovery
    user:
      token: $token
EOF
  )
  install -d -m 0755 "$KHA_STATE_DIR"
  touch "$KHA_JOIN_STARTED_MARK"
  kubeadm join --config "$KHA_KUBEADM_REJOIN_CONFIG"
  rm -f "$KHA_JOIN_STARTED_MARK"
  kubeadm token delete --kubeconfig "$kubeconfig" "${token%%.*}" >/dev/null ||
    log "WARNING: could not delete the join token ${token%%.*}; it expires within 15 minutes"
  log "rejoined the running cluster through $server"
}

# An init or rejoin of this host that did not finish (the run was killed, the host rebooted): its
# partial state is reset, certificates kept; then the decision below is made again. (The init mark
# stays: this host's own init over the data it already wrote is finished, not refused.)
if [[ -e "$KHA_INIT_STARTED_MARK" || -e "$KHA_JOIN_STARTED_MARK" ]]; then
  log "this host's last kubeadm init or join did not finish: resetting what it left and running it again"
  reset_interrupted_kubeadm "${KHA_NODE_NAME:?}" true
  rm -f "$KHA_JOIN_STARTED_MARK"
fi

if [[ -f "$kubeconfig" ]]; then
  # a new kubernetesVersion: `kubeadm upgrade apply` first, this node's kubelet after it (no-op otherwise)
  upgrade_control_plane apply
  if config_pending kubeadm-control-plane "${tracked[@]}"; then
    log "settings or certificates changed: regenerating control-plane manifests"
    restart=false
    if control_plane_certs_pending; then restart=true; fi
    regenerate_control_plane "$config" "$restart"
    # kubeadm's and the kubelet's cluster-wide config: nodes joining later read both
    kubeadm init phase upload-config all --config "$config" --kubeconfig "$kubeconfig"
    config_record kubeadm-control-plane "${tracked[@]}"
    record_control_plane_certs
  else
    log "already initialised, nothing changed"
  fi
  renew_kubeconfigs due
  if hardening_on KHA_KUBELET_SERVING_CERTS; then kubelet_serving_converge true; else kubelet_serving_converge false; fi
elif etcd_holds_cluster && [[ ! -e "$KHA_INIT_STARTED_MARK" ]]; then
  rejoin
  config_changed kubeadm-control-plane "${tracked[@]}" || true
  record_control_plane_certs
  renew_kubeconfigs fresh
else
  # (a cluster in etcd and the mark: this host's own init was interrupted; it is finished, not made anew)
  log "kubeadm init"
  mkdir -p "$KHA_STATE_DIR"
  touch "$KHA_INIT_STARTED_MARK" "$default_token_mark"
  kubeadm init --config "$config" --skip-token-print
  rm -f "$KHA_INIT_STARTED_MARK"
  config_changed kubeadm-control-plane "${tracked[@]}" || true
  record_control_plane_certs
  renew_kubeconfigs fresh
fi

wait_for "the apiserver to be ready" 120 2 apiserver_answers_ready

# kubeadm init always makes a 24-hour bootstrap token (no description: the list shows <none>) that
# nothing here uses, since every node joins with a short-lived token of its own. Right after this
# host's `kubeadm init` (the mark survives a failure in between), every token that is not one of
# ours is that one: delete it. Never later: a token an operator made stays theirs.
if [[ -f "$default_token_mark" ]]; then
  while read -r line; do
    [[ "$line" =~ ^([a-z0-9]{6})[.][a-z0-9]{16}[[:space:]] && "$line" != *"kubeadm-ha join of"* ]] || continue
    kubeadm token delete --kubeconfig "$kubeconfig" "${BASH_REMATCH[1]}" >/dev/null
    log "deleted kubeadm's default bootstrap token"
  done < <(kubeadm token list --kubeconfig "$kubeconfig")
  rm -f "$default_token_mark"
fi

bash "$(dirname "$0")/kubelet-csr-approver-install.sh"
# The first kubelet asks for its serving certificate as soon as its Node exists; approve it now
# rather than on the timer's first tick. Done once it is approved: kube-controller-manager signs it
# and the kubelet fetches it on its own (waiting for the file here kept every join waiting too, and
# ran the approver every second meanwhile). Bounded and not fatal: the timer keeps trying.
if hardening_on KHA_KUBELET_SERVING_CERTS && [[ ! -e "$KHA_KUBELET_DIR/pki/kubelet-server-current.pem" ]]; then
  serving=pending
  for ((try = 1; try <= ${KHA_APPROVE_TRIES:-60}; try++)); do
    approvals=$(bash "$(dirname "$0")/kubelet-csr-approve.sh") || true
    if [[ -n "$approvals" ]]; then echo "$approvals"; fi
    if [[ -e "$KHA_KUBELET_DIR/pki/kubelet-server-current.pem" ]]; then
      serving=present
    elif grep -q "^kubeadm-ha\[kubelet-csr-approve\]: approved [^ ]* for $KHA_NODE_NAME:" <<<"$approvals"; then
      serving=approved
    fi
    [[ "$serving" == pending ]] || break
    sleep 1
  done
  case "$serving" in
    approved) log "the kubelet's serving certificate is approved; the kubelet fetches it once it is signed" ;;
    pending) log "the kubelet has no serving certificate yet; the approver's timer will approve it" ;;
  esac
fi
log "control plane ready"
