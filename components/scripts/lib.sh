#!/usr/bin/env bash
# Shared helpers for kubeadm-ha host scripts; sourced, never run. Every host path and name comes
# from layout.sh (generated from components/hostLayout.ts) and goes through "$KHA_ROOT" (empty on
# real hosts) so script tests can run against a temporary root.
# shellcheck shell=bash

# shellcheck source=layout.sh
source "$(dirname "${BASH_SOURCE[0]}")/layout.sh"

log() { echo "kubeadm-ha[$(basename "$0" .sh)]: $*"; }
die() { echo "kubeadm-ha[$(basename "$0" .sh)]: ERROR: $*" >&2; exit 1; }

# install_file SRC DEST MODE: copies only when content or mode differ; prints what it did.
install_file() {
  local src=$1 dest=$2 mode=$3
  if [[ -f "$dest" ]] && cmp -s "$src" "$dest" && [[ "$(stat -c %a "$dest")" == "${mode#0}" ]]; then
    return 0
  fi
  install -D -m "$mode" "$src" "$dest.kha-new"
  mv -f "$dest.kha-new" "$dest"
  log "installed $dest"
}

# verify_sha256 FILE SUM WHAT: the file's sha256 must be SUM (a published checksum).
verify_sha256() {
  local got
  got=$(sha256sum "$1" | cut -d' ' -f1)
  [[ -n "$2" && "$got" == "$2" ]] || die "checksum mismatch for $3: got $got, published ${2:-nothing}"
}

# fetch NAME URL: makes $KHA_ARTIFACTS_DIR/bin/NAME present. With an empty URL (air-gapped) the file
# must have been copied there; otherwise it is downloaded unless the same URL was fetched before,
# and always verified against the checksum published beside it (URL.sha256): no checksum, no file.
fetch() {
  local name=$1 url=$2 dest="$KHA_ARTIFACTS_DIR/bin/$1"
  if [[ -s "$dest" && ( -z "$url" || "$(cat "$dest.url" 2>/dev/null)" == "$url" ) ]]; then return 0; fi
  [[ -n "$url" ]] || die "$name is not in $KHA_ARTIFACTS_DIR/bin and no download URL is set (artifacts.source)"
  install -d -m 0755 "$(dirname "$dest")"
  log "downloading $name from $url"
  curl -fsSL --retry 3 --connect-timeout 20 -o "$dest.part" "$url"
  curl -fsSL --retry 3 --connect-timeout 20 -o "$dest.sha256" "$url.sha256" 2>/dev/null ||
    die "no checksum published at $url.sha256: refusing an unverified $name (mirror the .sha256 too, or use artifacts.source: local)"
  verify_sha256 "$dest.part" "$(cut -d' ' -f1 <"$dest.sha256")" "$url"
  mv -f "$dest.part" "$dest"
  echo "$url" > "$dest.url"
}

# config_changed NAME FILE...: true when the files' checksum differs from the one recorded
# under NAME; records the new one. Lets scripts restart services only on real changes.
config_changed() {
  config_pending "$@" || return 1
  config_record "$@"
}

# config_pending NAME FILE...: true when the files' checksum differs from the one recorded under
# NAME, recording nothing; config_record NAME FILE... records it once the change was applied, so
# an apply that failed is tried again by the next run.
config_pending() {
  local name=$1
  shift
  [[ ! -f "$KHA_STATE_DIR/$name.sum" || "$(cat "$KHA_STATE_DIR/$name.sum")" != "$(files_sum "$@")" ]]
}
config_record() {
  local name=$1
  shift
  install -d -m 0755 "$KHA_STATE_DIR"
  files_sum "$@" > "$KHA_STATE_DIR/$name.sum"
}
# (a file that does not exist, like an optional config, counts as empty)
files_sum() { { cat "$@" 2>/dev/null || true; } | sha256sum | cut -d' ' -f1; }

# hardening_on NAME: true when hardening.env (render/hardening.ts) sets NAME=true. Read, never
# sourced; a missing file means off.
hardening_on() { grep -qx "$1=true" "$KHA_HARDENING_ENV" 2>/dev/null; }

# kubelet_serving_converge true|false: kubeadm writes serverTLSBootstrap into a node's kubelet
# config only when the node joins. A node that joined before hardening.kubeletServingCerts changed
# gets the setting here, and its kubelet a restart (it then asks for a serving certificate, or goes
# back to a self-signed one); a node that matches already is left alone.
kubelet_serving_converge() {
  local want=$1 file="$KHA_KUBELET_DIR/config.yaml" current=false
  [[ -f "$file" ]] || return 0
  if grep -qx 'serverTLSBootstrap: true' "$file"; then current=true; fi
  [[ "$current" != "$want" ]] || return 0
  sed -i '/^serverTLSBootstrap:/d' "$file"
  if [[ "$want" == true ]]; then echo 'serverTLSBootstrap: true' >>"$file"; fi
  systemctl restart kubelet
  log "kubelet config: serverTLSBootstrap $want (hardening.kubeletServingCerts), kubelet restarted"
}

# retry TRIES DELAY COMMAND...: bounded retry loop; fails when COMMAND never succeeded.
retry() {
  local tries=$1 delay=$2 i
  shift 2
  for ((i = 1; i <= tries; i++)); do
    if "$@"; then return 0; fi
    ((i == tries)) || sleep "$delay"
  done
  return 1
}

# wait_for DESCRIPTION TRIES DELAY COMMAND...: retry, and die naming what never happened.
wait_for() {
  local what=$1 tries=$2 delay=$3
  shift 3
  retry "$tries" "$delay" "$@" || die "timed out waiting for $what ($tries x ${delay}s)"
}

# regenerate_control_plane CONFIG [RESTART]: kubeadm rewrites this control plane's static pod
# manifests from CONFIG; when the apiserver's changed (or RESTART is true: renewed certificates,
# several of which the apiserver reads only at start), waits (bounded) until the kubelet runs a new
# apiserver process and it answers ready. The control-plane steps run one node after another, so
# without this wait the next node's apiserver could restart before this one is back.
regenerate_control_plane() {
  local manifest="$KHA_MANIFESTS_DIR/kube-apiserver.yaml" before_sum before_id
  before_sum=$(sha256sum "$manifest" 2>/dev/null || true)
  before_id=$(apiserver_pid)
  kubeadm init phase control-plane all --config "$1"
  if [[ "$(sha256sum "$manifest" 2>/dev/null || true)" == "$before_sum" ]]; then
    [[ "${2:-false}" == true ]] || return 0
    log "certificates renewed: restarting the apiserver"
    stop_static_pod kube-apiserver
  fi
  if ! retry "${KHA_APISERVER_RESTART_TRIES:-90}" 2 apiserver_restarted "$before_id"; then
    apiserver_state "$before_id" >&2
    die "timed out waiting for the kubelet to restart the apiserver with its new manifest, ready (${KHA_APISERVER_RESTART_TRIES:-90} x 2s)"
  fi
  log "the apiserver restarted and is ready"
}

# apiserver_state PID_BEFORE: what an operator looks at first when this control plane's apiserver
# did not come back: its process, the checks /readyz fails, the end of its container's log and the
# kubelet's last words about it (no secrets in any of them)
apiserver_state() {
  local now logs
  now=$(apiserver_pid)
  log "apiserver process before the change: ${1:-none}, now: ${now:-none}"
  log "its /readyz checks that fail:"
  kubectl --kubeconfig "$KHA_ADMIN_CONF" --request-timeout=5s get --raw '/readyz?verbose' 2>&1 | grep -v '^\[+\]' | tail -n 15 | sed 's/^/  /' || true
  logs=$(find "$KHA_POD_LOGS_DIR" -path '*kube-apiserver*' -name '*.log' -printf '%T@ %p\n' 2>/dev/null | sort -n | tail -n 1 | cut -d' ' -f2-)
  if [[ -n "$logs" ]]; then
    log "the end of $logs:"
    tail -n 15 "$logs" | cut -c1-400 | sed 's/^/  /'
  fi
  log "the kubelet on kube-apiserver, last 3 minutes:"
  journalctl -u kubelet --since -3min --no-pager -q 2>/dev/null | grep -i 'kube-apiserver' | tail -n 10 | cut -c1-400 | sed 's/^/  /' || true
}

# component_pid NAME: the process id of the running NAME (a control-plane component), empty when
# none runs; a restarted one has another. (Its comm, which the kernel cuts to 15 characters;
# KHA_PROC: tests give a directory of their own instead of /proc.)
component_pid() {
  local proc procs="${KHA_PROC:-/proc}"
  for proc in "$procs"/[0-9]*; do
    if [[ "$(cat "$proc/comm" 2>/dev/null)" == "${1:0:15}" ]]; then
      echo "${proc#"$procs"/}"
      return 0
    fi
  done
}
apiserver_pid() { component_pid kube-apiserver; }

# stop_static_pod NAME: ends the running process of a static pod (SIGTERM, a clean shutdown); the
# kubelet starts its container again. (KHA_KILL: tests record instead of signalling.)
stop_static_pod() {
  local pid
  pid=$(component_pid "$1")
  if [[ -n "$pid" ]]; then "${KHA_KILL:-kill}" -TERM "$pid"; fi
}

# restart_static_pod NAME: stops it and waits (bounded) until the kubelet runs a new one
restart_static_pod() {
  local before
  before=$(component_pid "$1")
  [[ -n "$before" ]] || { log "no running $1 to restart"; return 0; }
  "${KHA_KILL:-kill}" -TERM "$before"
  wait_for "the kubelet to run $1 again" "${KHA_STATIC_POD_TRIES:-60}" 2 component_replaced "$1" "$before"
}
component_replaced() {
  local now
  now=$(component_pid "$1")
  [[ -n "$now" && "$now" != "$2" ]]
}

# control_plane_certs_pending: the certificates and keys under the PKI directory changed since this
# control plane last applied them. A host of an earlier release has no record of them yet: they
# count as applied unless a file is newer than its last applied settings.
control_plane_certs_pending() {
  local record="$KHA_STATE_DIR/kubeadm-control-plane.sum"
  if [[ ! -f "$KHA_STATE_DIR/control-plane-certs.sum" && -f "$record" &&
    -z "$(find "$KHA_PKI_DIR" -maxdepth 1 \( -name '*.crt' -o -name '*.key' \) -newer "$record")" ]]; then
    config_record control-plane-certs "$KHA_PKI_DIR"/*.crt "$KHA_PKI_DIR"/*.key
  fi
  config_pending control-plane-certs "$KHA_PKI_DIR"/*.crt "$KHA_PKI_DIR"/*.key
}
record_control_plane_certs() { config_record control-plane-certs "$KHA_PKI_DIR"/*.crt "$KHA_PKI_DIR"/*.key; }

# renew_kubeconfigs fresh|due: kubeadm signs the kubeconfigs of the admin and of this control
# plane's controller-manager and scheduler (lifetime: pki.validityHours). ClusterPki's renewal clock
# says when to renew them; its expiry is in KHA_KUBECONFIG_RENEWAL. `fresh` (kubeadm just made them)
# records it. `due`: a new one renews every kubeconfig present and restarts the controller-manager
# and scheduler, which read theirs only at start, and prints the new expiries. A host that never
# recorded one renews once, so its kubeconfigs and the clock expire together from then on.
renew_kubeconfigs() {
  local file=$KHA_KUBECONFIG_RENEWAL name renewed=()
  [[ -f "$file" ]] || return 0
  config_pending kubeconfig-renewal "$file" || return 0
  if [[ "$1" == fresh ]]; then
    config_record kubeconfig-renewal "$file"
    return 0
  fi
  for name in admin.conf super-admin.conf controller-manager.conf scheduler.conf; do
    [[ -f "$KHA_KUBERNETES_DIR/$name" ]] || continue
    kubeadm certs renew "$name" --config "$KHA_KUBEADM_CONFIG" >/dev/null
    renewed+=("$name")
  done
  restart_static_pod kube-controller-manager
  restart_static_pod kube-scheduler
  config_record kubeconfig-renewal "$file"
  log "renewed ${renewed[*]} ($(cat "$file")); the controller-manager and scheduler restarted"
  kubeadm certs check-expiration --config "$KHA_KUBEADM_CONFIG" 2>/dev/null | sed 's/^/  /' || true
}

# apiserver_answers_ready: this control plane's apiserver answers /readyz (admin.conf)
apiserver_answers_ready() { kubectl --kubeconfig "$KHA_ADMIN_CONF" --request-timeout=5s get --raw /readyz >/dev/null 2>&1; }

apiserver_restarted() {
  local now
  now=$(apiserver_pid)
  [[ -n "$now" && "$now" != "$1" ]] && apiserver_answers_ready
}

# reset_interrupted_kubeadm NODE CONTROL_PLANE(true|false): undoes what an interrupted `kubeadm
# init` or `kubeadm join` left (static pods, kubeconfigs, the kubelet's files), so the next one
# starts clean instead of failing preflight forever. The certificates ClusterPki placed (a control
# plane's, and etcd's on any etcd host) are kept: kubeadm cleans the directory given by --cert-dir,
# an empty one of its own. So is etcd's data: kubeadm reset's remove-etcd-member phase, when it
# cannot read the cluster's config (a half-made control plane), falls back to deleting
# /var/lib/etcd, the data of this host's etcd member (a host service kubeadm knows nothing of). A worker's ca.crt is kubeadm join's and goes. A Node the partial join
# registered is deleted first (its own kubelet may delete it; a control plane uses its admin
# credential), since kubeadm refuses to join over a Ready Node of the same name.
reset_interrupted_kubeadm() {
  local node=$1 control_plane=$2 credential="" empty
  if [[ "$control_plane" == true && -f "$KHA_ADMIN_CONF" ]]; then credential=$KHA_ADMIN_CONF
  elif [[ -f "$KHA_KUBELET_CONF" ]]; then credential=$KHA_KUBELET_CONF; fi
  if [[ -n "$credential" ]]; then
    kubectl --kubeconfig "$credential" --request-timeout=10s delete node "$node" --ignore-not-found >/dev/null 2>&1 ||
      log "could not delete the Node $node the interrupted run registered (continuing: kubeadm says so if it matters)"
  fi
  empty=$(mktemp -d)
  kubeadm reset -f --cri-socket "$KHA_CRI_SOCKET" --cert-dir "$empty" --skip-phases=remove-etcd-member >/dev/null 2>&1 ||
    log "kubeadm reset reported errors (continuing)"
  rm -rf "$empty"
  if [[ "$control_plane" != true ]]; then rm -f "$KHA_PKI_DIR/ca.crt"; fi
  log "reset what the interrupted kubeadm run left on $node (certificates kept)"
}

# kubelet_version: the version of the installed kubelet (v1.34.1), empty when none is installed
kubelet_version() {
  [[ -x "$KHA_BIN_DIR/kubelet" ]] || return 0
  "$KHA_BIN_DIR/kubelet" --version 2>/dev/null | awk '{print $2}' || true
}

# upgrade_path_check RUNNING TARGET (vMAJOR.MINOR.PATCH): dies unless kubeadm can upgrade RUNNING to
# TARGET in one step (a later patch, or the next minor), naming the path to take. The program's
# validation says the same before anything runs; this holds for a host that differs from the rest.
upgrade_path_check() {
  local running=$1 target=$2 r t
  [[ "$running" =~ ^v([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || die "cannot read the running Kubernetes version ('$running')"
  r=("${BASH_REMATCH[@]:1}")
  [[ "$target" =~ ^v([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || die "kubernetesVersion '$target' is not vMAJOR.MINOR.PATCH"
  t=("${BASH_REMATCH[@]:1}")
  if ((t[0] < r[0] || (t[0] == r[0] && (t[1] < r[1] || (t[1] == r[1] && t[2] < r[2]))))); then
    die "this node runs Kubernetes $running; $target would be a downgrade, which kubeadm does not do: set kubernetesVersion back to ${running#v}"
  fi
  if ((t[0] != r[0] || t[1] > r[1] + 1)); then
    die "this node runs Kubernetes $running; kubeadm upgrades one minor at a time and $target skips one: upgrade to ${r[0]}.$((r[1] + 1)).x first"
  fi
}

# config_kubernetes_version FILE: the kubernetesVersion of a kubeadm config (1.35.4, no v); empty
# when it names none (kubeadm's default)
config_kubernetes_version() { sed -n 's/^kubernetesVersion: v\{0,1\}\([0-9][0-9.]*\)$/\1/p' "$1" | head -n 1; }

# upgrade_control_plane apply|node: kubeadm-upgrade.sh for this control plane's kubeadm config
upgrade_control_plane() {
  local version
  version=$(config_kubernetes_version "$KHA_KUBEADM_CONFIG")
  [[ -n "$version" ]] || return 0
  KHA_KUBERNETES_VERSION=$version bash "$(dirname "$0")/kubeadm-upgrade.sh" "$1"
}
