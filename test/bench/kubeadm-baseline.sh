#!/usr/bin/env bash
# The yardstick of the lab benchmark: the script a careful operator writes by hand to make the
# same cluster on the same hosts from the same local artifacts, one step after another:
#   1. every host in turn: copy kubeadm, kubelet, kubectl and the image tars (scp), then install the
#      binaries, import the images, configure containerd and the kubelet unit (the unit and drop-in
#      kubeadm's packages ship), swap off, ip_forward on
#   2. `kubeadm init --upload-certs` on the first control plane (stacked etcd: kubeadm's own etcd
#      static pod, from an image of the same etcd binary kubeadm-ha runs as a host service)
#   3. `kubeadm join --control-plane` on the other control planes, one after another
#   4. `kubeadm join` on each worker, one after another
#   5. the lab's pod network (the same `bridge` setup kubeadm-ha's lab CNI makes: each node's
#      podCIDR on a bridge, a route to every other node's podCIDR)
#   6. wait until every node is Ready
# It has no load balancer in front of the apiservers (kubeadm-ha puts an nginx proxy on every
# worker): its endpoint is a hosts-file name for the first control plane, so it does less than
# kubeadm-ha, never more. The lab's own needs are the same as kubeadm-ha's lab stack: containerd
# with restrict_oom_score_adj, kube-proxy leaving conntrack limits alone, the SystemVerification
# and HTTPProxyCIDR preflight checks ignored.
#
# Run inside the lab namespace (dev/lab/lab.sh exec bash test/bench/kubeadm-baseline.sh).
# Environment:
#   KHA_BENCH_CONTROL_PLANES      addresses of the control planes; the first runs kubeadm init
#   KHA_BENCH_WORKERS             addresses of the workers
#   KHA_BENCH_ARTIFACTS           directory with bin/{kubeadm,kubelet,kubectl} and images/*.tar
#   KHA_BENCH_ETCD_IMAGE          the etcd image tar (test/bench/etcd-image.sh); its name below
#   KHA_BENCH_ETCD_TAG            tag of kubeadm-ha.local/etcd in that tar
#   KHA_BENCH_KUBERNETES_VERSION  e.g. 1.34.1
#   KHA_BENCH_SSH_KEY             the lab's SSH key; KHA_BENCH_KNOWN_HOSTS: its known_hosts
#   KHA_BENCH_READY_TIMEOUT       seconds to wait for every node Ready (default 600)
# Secrets (the join token, the certificate key) reach the hosts on stdin, never a command line.
set -euo pipefail

: "${KHA_BENCH_CONTROL_PLANES:?}" "${KHA_BENCH_ARTIFACTS:?}" "${KHA_BENCH_ETCD_IMAGE:?}" "${KHA_BENCH_ETCD_TAG:?}"
: "${KHA_BENCH_KUBERNETES_VERSION:?}" "${KHA_BENCH_SSH_KEY:?}" "${KHA_BENCH_KNOWN_HOSTS:?}"
read -r -a control_planes <<<"$KHA_BENCH_CONTROL_PLANES"
read -r -a workers <<<"${KHA_BENCH_WORKERS:-}"
first=${control_planes[0]}
endpoint=api.bench.lab
pod_cidr=10.244.0.0/16
service_cidr=10.96.0.0/12

log() { printf '[baseline %s] %s\n' "$(date +%T)" "$*" >&2; }
ssh_opts=(-i "$KHA_BENCH_SSH_KEY" -o UserKnownHostsFile="$KHA_BENCH_KNOWN_HOSTS" -o StrictHostKeyChecking=yes
  -o BatchMode=yes -o ConnectTimeout=10)
on() {
  local host=$1
  shift
  # shellcheck disable=SC2029 # the command is built here on purpose; secrets go on stdin
  ssh "${ssh_opts[@]}" "root@$host" "$@"
}

# ---- 1. every host in turn -------------------------------------------------------------------------
prepare_host() {
  local host=$1
  log "$host: copying binaries and images"
  on "$host" 'mkdir -p /root/bench/images'
  scp -q "${ssh_opts[@]}" "$KHA_BENCH_ARTIFACTS"/bin/{kubeadm,kubelet,kubectl} "root@$host:/root/bench/"
  scp -q "${ssh_opts[@]}" "$KHA_BENCH_ARTIFACTS"/images/*.tar "$KHA_BENCH_ETCD_IMAGE" "root@$host:/root/bench/images/"
  log "$host: installing"
  on "$host" "FIRST=$first ENDPOINT=$endpoint bash -s" <<'HOST'
set -euo pipefail
install -m 0755 /root/bench/kubeadm /root/bench/kubelet /root/bench/kubectl /usr/local/bin/
swapoff -a || true
sysctl -qw net.ipv4.ip_forward=1
grep -q " $ENDPOINT\$" /etc/hosts || echo "$FIRST $ENDPOINT" >> /etc/hosts
mkdir -p /etc/containerd /opt/cni/bin
containerd config default | sed -e 's/SystemdCgroup = false/SystemdCgroup = true/' \
  -e 's#sandbox_image = .*#sandbox_image = "registry.k8s.io/pause:3.10.1"#' \
  -e 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' > /etc/containerd/config.toml
systemctl restart containerd
for tar in /root/bench/images/*.tar; do ctr -n k8s.io images import "$tar" >/dev/null; done
for plugin in /usr/lib/cni/*; do ln -sf "$plugin" /opt/cni/bin/; done
cat > /etc/systemd/system/kubelet.service <<'UNIT'
[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/local/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
UNIT
mkdir -p /etc/systemd/system/kubelet.service.d
cat > /etc/systemd/system/kubelet.service.d/10-kubeadm.conf <<'UNIT'
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/local/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
UNIT
systemctl daemon-reload
systemctl enable kubelet >/dev/null 2>&1
HOST
}

for host in "${control_planes[@]}" "${workers[@]}"; do prepare_host "$host"; done

# ---- 2. kubeadm init -------------------------------------------------------------------------------
token="$(openssl rand -hex 3).$(openssl rand -hex 8)"
cert_key=$(openssl rand -hex 32)
log "$first: kubeadm init"
on "$first" 'umask 077 && cat > /root/bench/init.yaml' <<YAML
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
bootstrapTokens: [{ token: "$token", ttl: 1h0m0s }]
certificateKey: "$cert_key"
localAPIEndpoint: { advertiseAddress: $first }
nodeRegistration:
  ignorePreflightErrors: [SystemVerification, HTTPProxyCIDR]
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v$KHA_BENCH_KUBERNETES_VERSION
controlPlaneEndpoint: $endpoint:6443
networking: { podSubnet: $pod_cidr, serviceSubnet: $service_cidr }
etcd:
  local: { imageRepository: kubeadm-ha.local, imageTag: "$KHA_BENCH_ETCD_TAG" }
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
---
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
conntrack: { maxPerCore: 0 }
YAML
on "$first" 'kubeadm init --config /root/bench/init.yaml --upload-certs' >/dev/null
ca_hash=$(on "$first" cat /etc/kubernetes/pki/ca.crt | openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1)

# ---- 3 and 4. joins, one after another -----------------------------------------------------------
join() {
  local host=$1 control_plane=$2
  log "$host: kubeadm join$([[ "$control_plane" == true ]] && echo " --control-plane")"
  {
    cat <<YAML
apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken: { apiServerEndpoint: "$endpoint:6443", token: "$token", caCertHashes: ["sha256:$ca_hash"] }
nodeRegistration:
  ignorePreflightErrors: [SystemVerification, HTTPProxyCIDR]
YAML
    if [[ "$control_plane" == true ]]; then
      printf 'controlPlane:\n  localAPIEndpoint: { advertiseAddress: %s }\n  certificateKey: "%s"\n' "$host" "$cert_key"
    fi
  } | on "$host" 'umask 077 && cat > /root/bench/join.yaml'
  on "$host" 'kubeadm join --config /root/bench/join.yaml' >/dev/null
}
for host in "${control_planes[@]:1}"; do join "$host" true; done
for host in "${workers[@]}"; do join "$host" false; done

# ---- 5. the pod network ----------------------------------------------------------------------------
k() { on "$first" "kubectl --kubeconfig /etc/kubernetes/admin.conf $(printf '%q ' "$@")"; }
nodes=$(k get nodes -o jsonpath='{range .items[*]}{.spec.podCIDR} {.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}')
for host in "${control_planes[@]}" "${workers[@]}"; do
  own=$(awk -v ip="$host" '$2 == ip {print $1}' <<<"$nodes")
  [[ -n "$own" ]] || { log "$host: no podCIDR allocated"; exit 1; }
  routes=$(awk -v ip="$host" '$2 != ip && $1 != "" {printf "ip route replace %s via %s\n", $1, $2}' <<<"$nodes")
  log "$host: pod network $own"
  on "$host" "OWN=$own POD_CIDR=$pod_cidr bash -s" <<HOST
set -euo pipefail
mkdir -p /etc/cni/net.d
cat > /etc/cni/net.d/10-bridge.conflist <<CONF
{ "cniVersion": "0.4.0", "name": "bench", "plugins": [
  { "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
    "ipam": { "type": "host-local", "ranges": [[{ "subnet": "\$OWN" }]], "routes": [{ "dst": "0.0.0.0/0" }] } },
  { "type": "portmap", "capabilities": { "portMappings": true } }, { "type": "loopback" } ] }
CONF
$routes
iptables -t nat -C POSTROUTING -s "\$POD_CIDR" ! -d "\$POD_CIDR" -j MASQUERADE 2>/dev/null ||
  iptables -t nat -A POSTROUTING -s "\$POD_CIDR" ! -d "\$POD_CIDR" -j MASQUERADE
HOST
done

# ---- 6. every node Ready ---------------------------------------------------------------------------
want=$((${#control_planes[@]} + ${#workers[@]}))
deadline=$((SECONDS + ${KHA_BENCH_READY_TIMEOUT:-600}))
until [[ $(k get nodes --no-headers 2>/dev/null | awk '$2 == "Ready"' | wc -l) -eq $want ]]; do
  ((SECONDS < deadline)) || { log "not every node Ready in time"; k get nodes >&2 || true; exit 1; }
  sleep 1
done
log "$want nodes Ready"
