#!/usr/bin/env bash
# Runs on one node for `npm run status` (sent over the program's own SSH after layout.sh, never
# installed): prints what this node can tell of its own health, one tab-separated record a line.
#   kubelet  active|inactive  VERSION
#   etcd     healthy|unhealthy  ONE-LINE-JSON (etcdctl endpoint status) or the error
#   cert     PATH  NOT-AFTER (RFC 3339, UTC)
#   proxy    UPSTREAM(host:port)  up|down  WHAT-IT-ANSWERED
#   nodes    BASE64(kubectl get nodes -o json)        (KHA_STATUS_CLUSTER=true, control planes)
#   leases   BASE64(kubectl -n kube-system get leases -o json)   (the same)
#   apiservices  BASE64(kubectl get apiservices -o json)  (the same)
# It reads and changes nothing. Environment: layout.sh's paths, KHA_ETCD_ENDPOINT (this member's
# client URL, when it runs etcd), KHA_STATUS_CLUSTER.
set -euo pipefail
: "${KHA_PKI_DIR:?layout.sh first}"

tab() { local IFS=$'\t'; printf '%s\n' "$*"; }

# ---- kubelet -----------------------------------------------------------------------------------
version=$("$KHA_BIN_DIR/kubelet" --version 2>/dev/null | awk '{print $2}' || true)
if systemctl is-active -q kubelet; then tab kubelet active "${version:-unknown}"; else tab kubelet inactive "${version:-unknown}"; fi

# ---- etcd member -------------------------------------------------------------------------------
if [[ -n "${KHA_ETCD_ENDPOINT:-}" ]]; then
  pki=$KHA_ETCD_PKI_DIR
  etcd_ask() {
    ETCDCTL_API=3 etcdctl --endpoints="$KHA_ETCD_ENDPOINT" --cacert="$pki/ca.crt" --cert="$pki/healthcheck-client.crt" \
      --key="$pki/healthcheck-client.key" --command-timeout=5s "$@" 2>&1 | tr '\n' ' '
  }
  if out=$(etcd_ask endpoint status --write-out=json) && [[ "$out" == \[* ]]; then
    tab etcd healthy "$out"
  else
    tab etcd unhealthy "${out:-no answer}"
  fi
fi

# ---- certificates and kubeconfigs --------------------------------------------------------------
not_after() { # stdin: a PEM certificate
  local end
  end=$(openssl x509 -noout -enddate 2>/dev/null | cut -d= -f2) || return 0
  [[ -n "$end" ]] && date -u -d "$end" +%Y-%m-%dT%H:%M:%SZ
}
if [[ -d "$KHA_PKI_DIR" ]]; then
  while IFS= read -r crt; do
    when=$(not_after <"$crt")
    if [[ -n "$when" ]]; then tab cert "$crt" "$when"; fi
  done < <(find "$KHA_PKI_DIR" -name '*.crt' -type f | sort)
fi
for pem in "$KHA_KUBELET_DIR/pki/kubelet-client-current.pem" "$KHA_KUBELET_DIR/pki/kubelet-server-current.pem"; do
  if [[ -f "$pem" ]]; then
    when=$(not_after <"$pem")
    if [[ -n "$when" ]]; then tab cert "$pem" "$when"; fi
  fi
done
shopt -s nullglob
for conf in "$KHA_KUBERNETES_DIR"/*.conf; do
  data=$(sed -n 's/^ *client-certificate-data: *//p' "$conf" | head -n1)
  [[ -n "$data" ]] || continue
  when=$(base64 -d <<<"$data" 2>/dev/null | not_after)
  if [[ -n "$when" ]]; then tab cert "$conf" "$when"; fi
done

# ---- the apiserver proxy's upstreams, as this node reaches them --------------------------------
proxy_conf="$KHA_PROXY_CONFIG_DIR/nginx.conf"
if [[ -f "$proxy_conf" ]]; then
  while read -r upstream; do
    code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 3 "https://$upstream/readyz" 2>/dev/null || true)
    if [[ "$code" == 200 ]]; then tab proxy "$upstream" up "readyz 200"; else tab proxy "$upstream" down "readyz ${code:-none}"; fi
  done < <(grep -Eo 'server +[0-9.]+:[0-9]+' "$proxy_conf" | awk '{print $2}' | sort -u)
fi

# ---- the cluster's own view (one control plane is asked) ---------------------------------------
if [[ "${KHA_STATUS_CLUSTER:-}" == true && -f "$KHA_ADMIN_CONF" ]]; then
  k() { "$KHA_BIN_DIR/kubectl" --kubeconfig "$KHA_ADMIN_CONF" --request-timeout=10s "$@"; }
  if nodes=$(k get nodes -o json 2>/dev/null); then tab nodes "$(base64 -w0 <<<"$nodes")"; fi
  if leases=$(k -n kube-system get lease -o json 2>/dev/null); then
    tab leases "$(base64 -w0 <<<"$leases")"
  fi
  if apiservices=$(k get apiservices -o json 2>/dev/null); then
    tab apiservices "$(base64 -w0 <<<"$apiservices")"
  fi
fi
