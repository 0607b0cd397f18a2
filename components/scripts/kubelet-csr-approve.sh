#!/usr/bin/env bash
# Approves the kubelet serving-certificate requests (signer kubernetes.io/kubelet-serving) that are
# valid, and nothing else. kube-controller-manager signs such a request with the cluster CA once it
# is approved, but never approves one itself: a kubelet may ask for any name or address, and a
# certificate for another node's address would let it pose as that node to the apiserver. So a
# request is approved only when
#   - it was made by system:node:<name>, and that Node exists;
#   - its subject is exactly CN=system:node:<name>, O=system:nodes, and its signature is valid;
#   - its usages are among digital signature, key encipherment and server auth;
#   - it has DNS or IP SANs only, each the Node's name or one of its .status.addresses.
# Anything else stays pending, logged with the reason. Run every 20 s by a timer on each control
# plane (kubelet-csr-approver-install.sh) and by kubeadm-init.sh; any number of runs is safe.
#
# Environment: KHA_ROOT (tests). Uses the control plane's admin kubeconfig.
set -euo pipefail
# shellcheck source=layout.sh
source "$(dirname "$0")/layout.sh"

log() { echo "kubeadm-ha[kubelet-csr-approve]: $*"; }
kc() { kubectl --kubeconfig "$KHA_ADMIN_CONF" --request-timeout=10s "$@"; }

[[ -f "$KHA_ADMIN_CONF" ]] || exit 0 # not a control plane yet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# check NAME REQUESTER: succeeds when the request may be approved; otherwise prints why not
check() {
  local name=$1 requester=$2 node usage entry value
  if [[ ! "$requester" =~ ^system:node:([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$ ]]; then
    echo "requested by '$requester', not by a node"
    return 1
  fi
  node=${BASH_REMATCH[1]}
  # the names a certificate of this node may carry: its own name and the addresses it reports
  if ! kc get node "$node" -o jsonpath='{.metadata.name}{"\n"}{range .status.addresses[*]}{.address}{"\n"}{end}' >"$work/allowed" 2>/dev/null ||
    [[ ! -s "$work/allowed" ]]; then
    echo "no Node $node"
    return 1
  fi
  if ! kc get csr "$name" -o jsonpath='{range .spec.usages[*]}{@}{"\n"}{end}' >"$work/usages" || [[ ! -s "$work/usages" ]]; then
    echo "could not read its usages"
    return 1
  fi
  while IFS= read -r usage; do
    case "$usage" in
      "digital signature" | "key encipherment" | "server auth") ;;
      *)
        echo "usage '$usage' is not for serving"
        return 1
        ;;
    esac
  done <"$work/usages"
  kc get csr "$name" -o jsonpath='{.spec.request}' | base64 -d >"$work/request.pem" 2>/dev/null || true
  if ! openssl req -in "$work/request.pem" -noout -verify >/dev/null 2>&1; then
    echo "the request does not parse or its signature is wrong"
    return 1
  fi
  openssl req -in "$work/request.pem" -noout -subject -nameopt multiline | sed -n 's/^ *\([A-Za-z]*\) *= \(.*\)$/\1=\2/p' | sort >"$work/subject"
  if [[ "$(cat "$work/subject")" != "commonName=system:node:$node"$'\n'"organizationName=system:nodes" ]]; then
    echo "subject is not exactly CN=system:node:$node, O=system:nodes: $(paste -sd, "$work/subject")"
    return 1
  fi
  openssl req -in "$work/request.pem" -noout -text | sed -n '/X509v3 Subject Alternative Name/{n;p;}' | tr ',' '\n' |
    sed 's/^ *//; /^$/d' >"$work/sans"
  [[ -s "$work/sans" ]] || {
    echo "no subject alternative names"
    return 1
  }
  while IFS= read -r entry; do
    case "$entry" in
      DNS:*) value=${entry#DNS:} ;;
      "IP Address:"*) value=${entry#IP Address:} ;;
      *)
        echo "SAN '$entry' is neither a DNS name nor an IP address"
        return 1
        ;;
    esac
    if ! grep -Fxq -- "$value" "$work/allowed"; then
      echo "SAN $value is not Node $node's name or address ($(paste -sd, "$work/allowed"))"
      return 1
    fi
  done <"$work/sans"
  echo "$node: $(paste -sd, "$work/sans")"
}

kc get csr -o jsonpath='{range .items[*]}{.metadata.name}{"|"}{.spec.signerName}{"|"}{.spec.username}{"|"}{.status.conditions[*].type}{"\n"}{end}' >"$work/csrs"
while IFS='|' read -r name signer requester conditions; do
  # pending: no Approved, Denied or Failed condition yet
  [[ -n "$name" && "$signer" == kubernetes.io/kubelet-serving && -z "$conditions" ]] || continue
  if verdict=$(check "$name" "$requester"); then
    if kc certificate approve "$name" >/dev/null; then
      log "approved $name for $verdict"
    else
      log "could not approve $name (another control plane may have); the next run retries"
    fi
  else
    log "left $name pending: $verdict"
  fi
done <"$work/csrs"
