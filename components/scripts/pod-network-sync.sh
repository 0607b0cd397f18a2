#!/usr/bin/env bash
# The `bridge` CNI's control loop, run by a systemd timer on every node: writes this node's CNI
# config from its podCIDR (allocated by kube-controller-manager), routes every other node's
# podCIDR via that node's InternalIP, and masquerades pod traffic leaving the pod network.
# Uses the kubelet's own credentials (nodes may read nodes). For flat L2 networks and the lab.
#
# Environment: KHA_NODE (this node's name), KHA_POD_CIDR (the cluster's pod CIDR), KHA_ROOT.
set -euo pipefail

: "${KHA_NODE:?}" "${KHA_POD_CIDR:?}"
# shellcheck source=layout.sh
source "$(dirname "$0")/layout.sh"
kubeconfig="$KHA_KUBELET_CONF"
conf="$KHA_BRIDGE_CONFLIST"
proto=$KHA_ROUTE_PROTO # marks our routes, so sync and reset touch nothing else

[[ -f "$kubeconfig" ]] || exit 0 # not joined yet
nodes=$(kubectl --kubeconfig "$kubeconfig" get nodes --request-timeout=5s \
  -o jsonpath='{range .items[*]}{.metadata.name} {.spec.podCIDR} {.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}')

own=""
declare -A want=()
while read -r name cidr ip; do
  [[ -z "$name" || -z "$cidr" ]] && continue
  if [[ "$name" == "$KHA_NODE" ]]; then own="$cidr"; elif [[ -n "$ip" ]]; then want[$cidr]=$ip; fi
done <<< "$nodes"
[[ -n "$own" ]] || exit 0 # no podCIDR allocated yet

gateway="${own%/*}"
gateway="${gateway%.*}.$((${gateway##*.} + 1))"
new=$(mktemp)
trap 'rm -f "$new"' EXIT
cat > "$new" <<CONF
{
  "cniVersion": "0.4.0",
  "name": "kubeadm-ha",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "kha0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$own", "gateway": "$gateway" }]], "routes": [{ "dst": "0.0.0.0/0" }] }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } },
    { "type": "loopback" }
  ]
}
CONF
if ! cmp -s "$new" "$conf"; then
  install -D -m 0644 "$new" "$conf"
  echo "pod-network: wrote $conf for $own"
fi

# routes to the other nodes' pod ranges: add missing, drop stale
for cidr in "${!want[@]}"; do
  ip route replace "$cidr" via "${want[$cidr]}" proto "$proto"
done
while read -r cidr _; do
  [[ -z "$cidr" ]] && continue
  [[ -n "${want[$cidr]:-}" ]] || ip route del "$cidr" proto "$proto" || true
done < <(ip route show proto "$proto")

# pods reach the outside world with the node's address; pod-to-pod keeps pod addresses
if ! iptables -t nat -C POSTROUTING -s "$KHA_POD_CIDR" ! -d "$KHA_POD_CIDR" -m comment --comment kubeadm-ha -j MASQUERADE 2>/dev/null; then
  iptables -t nat -A POSTROUTING -s "$KHA_POD_CIDR" ! -d "$KHA_POD_CIDR" -m comment --comment kubeadm-ha -j MASQUERADE
fi
