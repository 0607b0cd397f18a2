#!/usr/bin/env bash
# Runs ON a lab host (piped by smoke.sh): a throwaway single-node kubeadm cluster from the
# artifacts unpacked in /tmp/kha-smoke, then everything undone.
#   smoke-host.sh up     containerd config (backed up), binaries, images, bridge CNI, kubelet unit,
#                        etcd (transient unit, plain HTTP on localhost), kubeadm init, an echo
#                        Deployment + Service; checks pods, Service routing and DNS readiness
#   smoke-host.sh down   kubeadm reset and every file, unit, image and link of `up` removed,
#                        containerd's previous config restored
set -euo pipefail
A=/tmp/kha-smoke
export KUBECONFIG=/etc/kubernetes/admin.conf
log() { printf '[smoke %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
wait_for() { # SECONDS DESCRIPTION CMD...
  local limit="$1" what="$2" start=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS - start < limit)) || { log "timed out after ${limit}s: $what"; return 1; }
    sleep 2
  done
  log "$what ($((SECONDS - start)) s)"
}

# A-record query over UDP, printing the last answer's address: perl -e "$DNS_QUERY" SERVER NAME
# shellcheck disable=SC2016  # perl code
DNS_QUERY='use IO::Socket::INET; my ($srv, $n) = @ARGV;
  my $q = pack("n6", 0x1234, 0x0100, 1, 0, 0, 0) . join("", map { chr(length) . $_ } split /\./, $n) . "\0" . pack("n2", 1, 1);
  my $s = IO::Socket::INET->new(PeerAddr => $srv, PeerPort => 53, Proto => "udp") or die;
  $s->send($q); local $SIG{ALRM} = sub { die "timeout\n" }; alarm 3; $s->recv(my $r, 1500); alarm 0;
  my (undef, $f, undef, $an) = unpack("n4", $r); exit 1 if ($f & 15) || !$an;
  print join(".", unpack("C4", substr($r, -4))), "\n";'

# The service load balancer's shape: haproxy:lab with `-f` a ConfigMap, routing by Host to the echo
# Service through cluster DNS (resolvers + init-addr none), as user nobody.
haproxy_check() {
  kubectl create configmap smoke-haproxy --from-file=haproxy.cfg=/dev/stdin >/dev/null <<'T'
global
  log stdout format raw local0 info
defaults
  log global
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
resolvers cluster_dns
  parse-resolv-conf
  hold valid 10s
frontend http
  bind :8080
  http-request return status 200 content-type text/plain string ok if { path /healthz }
  acl host_echo hdr(host),field(1,:) -i echo.smoke
  use_backend echo if host_echo
backend echo
  server echo echo.default.svc.cluster.local:80 resolvers cluster_dns init-addr none
T
  kubectl apply -f - >/dev/null <<'T'
apiVersion: v1
kind: Pod
metadata: {name: smoke-haproxy}
spec:
  containers:
    - name: haproxy
      image: kubeadm-ha.local/haproxy:lab
      imagePullPolicy: Never
      args: ["-f", "/usr/local/etc/haproxy/haproxy.cfg"]
      readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 2}
      volumeMounts: [{name: config, mountPath: /usr/local/etc/haproxy, readOnly: true}]
  volumes: [{name: config, configMap: {name: smoke-haproxy}}]
T
  wait_for 90 "haproxy:lab pod Ready" kubectl wait --for=condition=Ready pod/smoke-haproxy --timeout=5s
  local ip
  ip="$(kubectl get pod smoke-haproxy -o jsonpath='{.status.podIP}')"
  wait_for 30 "haproxy routes Host echo.smoke to the echo Service" \
    bash -c "curl -fsS --max-time 2 -H 'Host: echo.smoke' http://$ip:8080/ | grep -qx host=echo.smoke"
}

# The apiserver proxy as its unit runs it: ctr run --net-host with the config bound read-only.
proxy_check() {
  local ip="$1" d=/tmp/kha-smoke/proxy
  mkdir -p "$d"
  cat >"$d/nginx.conf" <<T
include /etc/nginx/modules-enabled/*.conf;
daemon off;
pid /tmp/kubeadm-ha-proxy.pid;
error_log stderr notice;
worker_processes 2;
events { worker_connections 1024; }
stream {
  upstream kube_apiserver { least_conn; server $ip:6443 max_fails=1 fail_timeout=10s; }
  server { listen 127.0.0.1:16443; proxy_pass kube_apiserver; proxy_next_upstream on; proxy_connect_timeout 1s; }
}
http { access_log off; server { listen 127.0.0.1:18081; location /healthz { return 200 'ok'; } } }
T
  ctr -n k8s.io run -d --net-host --mount "type=bind,src=$d,dst=/etc/kubeadm-ha-proxy,options=rbind:ro" \
    kubeadm-ha.local/apiserver-proxy:lab kha-smoke-proxy nginx -c /etc/kubeadm-ha-proxy/nginx.conf </dev/null >/dev/null
  wait_for 30 "apiserver-proxy:lab health on 127.0.0.1:18081" curl -fsS http://127.0.0.1:18081/healthz
  wait_for 30 "apiserver-proxy:lab forwards 127.0.0.1:16443 to the apiserver" \
    bash -c "curl -fsSk https://127.0.0.1:16443/version | grep -q '\"gitVersion\": \"v1.34.1\"'"
  ctr -n k8s.io task kill -s SIGQUIT kha-smoke-proxy >/dev/null 2>&1 || true
  sleep 1
  ctr -n k8s.io task rm -f kha-smoke-proxy >/dev/null 2>&1 || true
  ctr -n k8s.io containers rm kha-smoke-proxy >/dev/null 2>&1 || true
}

up() {
  [[ -f /etc/containerd/config.toml.kha-smoke ]] || cp -a /etc/containerd/config.toml /etc/containerd/config.toml.kha-smoke
  install -m 0755 "$A"/bin/{kubeadm,kubelet,kubectl,etcd} /usr/local/bin/
  cat >/etc/containerd/config.toml <<'T'
version = 2
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10.1"
  # this kind of machine has no CAP_SYS_RESOURCE (not even outside the lab): a negative
  # oom_score_adj (pause: -998, critical pods) fails in runc unless containerd clamps it
  restrict_oom_score_adj = true
[plugins."io.containerd.grpc.v1.cri".containerd]
  default_runtime_name = "runc"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = true
[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/opt/cni/bin"
  conf_dir = "/etc/cni/net.d"
T
  systemctl restart containerd
  wait_for 30 "containerd up" ctr version
  local t n=0
  for t in "$A"/images/*.tar; do ctr -n k8s.io images import "$t" >/dev/null; n=$((n + 1)); done
  log "imported $n image tars"
  install -d /opt/cni/bin /etc/cni/net.d
  for t in /usr/lib/cni/*; do ln -sf "$t" /opt/cni/bin/; done
  cat >/etc/cni/net.d/10-kha-smoke.conflist <<'T'
{"cniVersion": "0.4.0", "name": "kha-smoke", "plugins": [
  {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.0.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
T
  cat >/etc/systemd/system/kubelet.service <<'T'
[Unit]
After=containerd.service
[Service]
ExecStart=/usr/local/bin/kubelet
Restart=always
RestartSec=2
[Install]
WantedBy=multi-user.target
T
  install -d /etc/systemd/system/kubelet.service.d
  cat >/etc/systemd/system/kubelet.service.d/10-kubeadm.conf <<'T'
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
ExecStart=
ExecStart=/usr/local/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS
T
  systemctl daemon-reload
  systemctl enable kubelet >/dev/null 2>&1
  systemd-run --unit kha-smoke-etcd --quiet /usr/local/bin/etcd --name smoke --data-dir /var/lib/kha-smoke-etcd \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster smoke=http://127.0.0.1:2380
  wait_for 30 "etcd healthy" curl -fsS http://127.0.0.1:2379/health
  local ip
  ip="$(ip -4 -o route get 10.77.0.1 | awk '{ for (i = 1; i < NF; i++) if ($i == "src") print $(i + 1) }')"
  cat >/tmp/kha-smoke/kubeadm.yaml <<T
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint: {advertiseAddress: $ip, bindPort: 6443}
nodeRegistration: {criSocket: unix:///run/containerd/containerd.sock, ignorePreflightErrors: [all], taints: []}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.34.1
imageRepository: registry.k8s.io
controlPlaneEndpoint: $ip:6443
etcd: {external: {endpoints: [http://127.0.0.1:2379]}}
networking: {podSubnet: 10.244.0.0/16, serviceSubnet: 10.96.0.0/12}
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
failSwapOn: false
---
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
conntrack: {maxPerCore: 0}
T
  local start=$SECONDS
  if ! kubeadm init --config /tmp/kha-smoke/kubeadm.yaml >/tmp/kha-smoke/init.log 2>&1; then
    tail -n 15 /tmp/kha-smoke/init.log
    echo "--- kubelet journal"
    journalctl -u kubelet --no-pager -n 60 | cut -c1-400
    echo "--- containers"
    ctr -n k8s.io containers ls
    exit 1
  fi
  log "kubeadm init done ($((SECONDS - start)) s)"
  wait_for 120 "node Ready" bash -c "kubectl get nodes --no-headers | grep -qw Ready"
  local c
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    wait_for 120 "$c Ready" bash -c "kubectl -n kube-system get pods -l component=$c -o jsonpath='{.items[*].status.containerStatuses[*].ready}' | grep -qx true"
  done
  wait_for 120 "kube-proxy Ready" bash -c "kubectl -n kube-system get pods -l k8s-app=kube-proxy -o jsonpath='{.items[*].status.containerStatuses[*].ready}' | grep -qx true"
  wait_for 180 "coredns Ready (2 pods)" bash -c "kubectl -n kube-system get pods -l k8s-app=kube-dns -o jsonpath='{.items[*].status.containerStatuses[*].ready}' | grep -qx 'true true'"
  kubectl create deployment echo --image=kubeadm-ha.local/echo:lab --replicas=2 --port=8080 >/dev/null
  kubectl patch deployment echo --type=json -p '[{"op":"add","path":"/spec/template/spec/containers/0/imagePullPolicy","value":"Never"}]' >/dev/null
  kubectl expose deployment echo --port=80 --target-port=8080 >/dev/null
  wait_for 120 "echo Deployment available" kubectl wait --for=condition=Available deployment/echo --timeout=5s
  local svc out
  svc="$(kubectl get svc echo -o jsonpath='{.spec.clusterIP}')"
  wait_for 60 "Service $svc answers through kube-proxy's rules" curl -fsS --max-time 2 -H 'Host: smoke.lab' "http://$svc/"
  out="$(curl -fsS --max-time 2 -H 'Host: smoke.lab' "http://$svc/")"
  echo "$out"
  grep -qx 'host=smoke.lab' <<<"$out" && grep -q '^hostname=echo-' <<<"$out"
  local dns
  dns="$(kubectl -n kube-system get svc kube-dns -o jsonpath='{.spec.clusterIP}')"
  wait_for 30 "coredns answers through the kube-dns Service ($dns:9153 metrics)" curl -fsS --max-time 2 "http://$dns:9153/metrics"
  wait_for 30 "DNS: echo.default.svc.cluster.local resolves through the kube-dns Service" \
    bash -c "perl -e '$DNS_QUERY' $dns echo.default.svc.cluster.local | grep -qx $svc"
  haproxy_check
  proxy_check "$ip"
  iptables-save | grep -c 'KUBE-SVC' | xargs -I{} echo "KUBE-SVC rules: {}"
  kubectl get pods -A -o wide
  log "SMOKE OK"
}

down() {
  kubeadm reset -f >/dev/null 2>&1 || true
  systemctl disable --now kubelet >/dev/null 2>&1 || true
  systemctl stop kha-smoke-etcd >/dev/null 2>&1 || true
  systemctl reset-failed kha-smoke-etcd >/dev/null 2>&1 || true
  rm -rf /etc/systemd/system/kubelet.service /etc/systemd/system/kubelet.service.d /var/lib/kha-smoke-etcd \
    /etc/cni/net.d/10-kha-smoke.conflist /opt/cni /var/lib/kubelet /etc/kubernetes/manifests \
    /etc/kubernetes/*.conf /usr/local/bin/kubeadm /usr/local/bin/kubelet /usr/local/bin/kubectl /usr/local/bin/etcd \
    /var/lib/cni /root/.kube /var/log/pods /var/log/containers
  systemctl daemon-reload
  local c
  for c in $(ctr -n k8s.io containers ls -q 2>/dev/null); do ctr -n k8s.io task rm -f "$c" >/dev/null 2>&1 || true; ctr -n k8s.io containers rm "$c" >/dev/null 2>&1 || true; done
  ctr -n k8s.io images ls -q | grep -E '^(registry\.k8s\.io|kubeadm-ha\.local)/' | xargs -r ctr -n k8s.io images rm >/dev/null 2>&1 || true
  if [[ -f /etc/containerd/config.toml.kha-smoke ]]; then
    mv /etc/containerd/config.toml.kha-smoke /etc/containerd/config.toml
    systemctl restart containerd
  fi
  ip link del cni0 >/dev/null 2>&1 || true
  rm -rf "$A" /tmp/kha-smoke-host.sh
  log "smoke undone"
}

"${1:?up|down}"
