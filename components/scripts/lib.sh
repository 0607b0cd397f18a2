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

# wait_for DESCRIPTION TRIES DELAY COMMAND...: bounded retry loop.
wait_for() {
  local what=$1 tries=$2 delay=$3
  shift 3
  local i
  for ((i = 1; i <= tries; i++)); do
    if "$@"; then return 0; fi
    sleep "$delay"
  done
  die "timed out waiting for $what ($tries x ${delay}s)"
}

# regenerate_control_plane CONFIG: kubeadm rewrites this control plane's static pod manifests from
# CONFIG; when the apiserver's changed, waits (bounded) until the kubelet runs a new apiserver
# process and it answers ready. The control-plane steps run one node after another, so without
# this wait the next node's apiserver could restart before this one is back.
regenerate_control_plane() {
  local manifest="$KHA_MANIFESTS_DIR/kube-apiserver.yaml" before_sum before_id
  before_sum=$(sha256sum "$manifest" 2>/dev/null || true)
  before_id=$(apiserver_pid)
  kubeadm init phase control-plane all --config "$1"
  [[ "$(sha256sum "$manifest" 2>/dev/null || true)" != "$before_sum" ]] || return 0
  wait_for "the kubelet to restart the apiserver with its new manifest, ready" "${KHA_APISERVER_RESTART_TRIES:-90}" 2 \
    apiserver_restarted "$before_id"
  log "the apiserver restarted with its new manifest and is ready"
}

# the running kube-apiserver's process id (empty when none runs): a restarted apiserver has another.
# (KHA_PROC: tests give a directory of their own instead of /proc)
apiserver_pid() {
  local proc procs="${KHA_PROC:-/proc}"
  for proc in "$procs"/[0-9]*; do
    if [[ "$(cat "$proc/comm" 2>/dev/null)" == kube-apiserver ]]; then
      echo "${proc#"$procs"/}"
      return 0
    fi
  done
}

apiserver_restarted() {
  local now
  now=$(apiserver_pid)
  [[ -n "$now" && "$now" != "$1" ]] && kubectl --kubeconfig "$KHA_ADMIN_CONF" --request-timeout=5s get --raw /readyz >/dev/null 2>&1
}

# reset_interrupted_kubeadm NODE CONTROL_PLANE(true|false): undoes what an interrupted `kubeadm
# init` or `kubeadm join` left (static pods, kubeconfigs, the kubelet's files), so the next one
# starts clean instead of failing preflight forever. The certificates ClusterPki placed (a control
# plane's, and etcd's on any etcd host) are kept: kubeadm cleans the directory given by --cert-dir,
# an empty one of its own. A worker's ca.crt is kubeadm join's and goes. A Node the partial join
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
  kubeadm reset -f --cri-socket "$KHA_CRI_SOCKET" --cert-dir "$empty" >/dev/null 2>&1 || log "kubeadm reset reported errors (continuing)"
  rm -rf "$empty"
  if [[ "$control_plane" != true ]]; then rm -f "$KHA_PKI_DIR/ca.crt"; fi
  log "reset what the interrupted kubeadm run left on $node (certificates kept)"
}
