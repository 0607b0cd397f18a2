#!/usr/bin/env bash
# Builds the lab's image tars (OCI image layout, one gzip layer each, made by go/ocitar) into
#   images.sh BUILD_DIR OUT_DIR K8S_VERSION
# BUILD_DIR holds k8s/ (kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy,
# kubeadm), coredns/coredns, metrics-server/metrics-server and tools/ (ocitar, rootcopy, pause,
# echo). Image names come from the built `kubeadm config images list` (imageRepository
# registry.k8s.io), metrics-server's (its tag from its own --version) and the lab's own:
#   registry.k8s.io/kube-{apiserver,controller-manager,scheduler}:vV  FROM scratch: the binary
#   registry.k8s.io/kube-proxy:vV        + iptables/ip6tables (nft backend, as Debian 12 hosts
#                                        use), conntrack and nft from Debian packages
#   registry.k8s.io/pause:<tag>          our go/pause (user 65535, as upstream)
#   registry.k8s.io/coredns/coredns:<tag> CoreDNS from its Go module (runs as root; kubeadm's
#                                        Deployment drops every capability but NET_BIND_SERVICE)
#   registry.k8s.io/metrics-server/metrics-server:<tag>  metrics-server from its Go module,
#                                        ENTRYPOINT /metrics-server, user 65534 (nobody) as
#                                        upstream's Dockerfile (FROM distroless/static, USER 65534)
#   kubeadm-ha.local/apiserver-proxy:lab Debian nginx + its stream module, enabled in
#                                        /etc/nginx/modules-enabled/50-mod-stream.conf
#   kubeadm-ha.local/haproxy:lab         Debian haproxy, ENTRYPOINT haproxy -W -db (user nobody)
#   kubeadm-ha.local/echo:lab            our go/echo on :8080 (user nobody)
# Debian binaries go in with exactly the shared libraries they load (go/rootcopy). Each tar is
# rebuilt only when its inputs change (key in OUT_DIR/.keys/); the output is deterministic.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=image-lib.sh
source "$(dirname "$0")/image-lib.sh"
umask 022

BUILD="" VERSION=""
REPO="registry.k8s.io"
LAB_REPO="kubeadm-ha.local"

# --- Kubernetes control-plane images --------------------------------------------------------------
kube_binary_root() { install -D -m 0755 "$BUILD/k8s/$CUR_BIN" "$1/usr/local/bin/$CUR_BIN"; }

kube_image() {
  local bin="$1" tag="$2"
  CUR_BIN="$bin"
  timed "image $bin" build_image "${bin}_$tag.tar" "$BUILD/k8s/$bin" -- kube_binary_root -- \
    -name "$REPO/$bin:$tag" -entrypoint "[\"/usr/local/bin/$bin\"]" -env "$PATH_ENV"
}

# --- kube-proxy: the binary plus iptables (nft), conntrack, nft ------------------------------------
PROXY_DEBS=(iptables conntrack nftables)
kube_proxy_root() {
  local root="$1" staging="$WORK/staging-kube-proxy" t
  rm -rf "$staging"
  bash "$ARTIFACTS_SRC/debroot.sh" unpack "$staging" "${PROXY_DEBS[@]}" >"$OUT/.keys/kube-proxy.debs"
  local -a copy=(/usr/sbin/xtables-nft-multi /usr/sbin/xtables-legacy-multi /usr/lib/x86_64-linux-gnu/xtables
    /usr/sbin/conntrack /usr/sbin/nft)
  for t in iptables ip6tables; do
    copy+=("/usr/sbin/$t-nft" "/usr/sbin/$t-nft-save" "/usr/sbin/$t-nft-restore"
      "/usr/sbin/$t-legacy" "/usr/sbin/$t-legacy-save" "/usr/sbin/$t-legacy-restore")
  done
  "$TOOLS/rootcopy" -from "$staging" -to "$root" "${copy[@]}"
  # what update-alternatives does on a Debian 12 host: the nft backend
  for t in iptables ip6tables; do
    ln -s "$t-nft" "$root/usr/sbin/$t"
    ln -s "$t-nft-save" "$root/usr/sbin/$t-save"
    ln -s "$t-nft-restore" "$root/usr/sbin/$t-restore"
  done
  install -d -m 0755 "$root/run" "$root/var" "$root/lib/modules"
  ln -s ../run "$root/var/run"
  install -D -m 0755 "$BUILD/k8s/kube-proxy" "$root/usr/local/bin/kube-proxy"
  rm -rf "$staging"
}

# --- pause, coredns, metrics-server, echo --------------------------------------------------------
pause_root() { install -m 0755 "$TOOLS/pause" "$1/pause"; }
coredns_root() { install -m 0755 "$BUILD/coredns/coredns" "$1/coredns"; }
metrics_server_root() { install -m 0755 "$BUILD/metrics-server/metrics-server" "$1/metrics-server"; }
echo_root() { install -m 0755 "$TOOLS/echo" "$1/echo"; }

# --- the apiserver proxy: Debian nginx with the stream module ------------------------------------
NGINX_DEBS=(nginx libnginx-mod-stream)
nginx_root() {
  local root="$1" staging="$WORK/staging-nginx"
  rm -rf "$staging"
  bash "$ARTIFACTS_SRC/debroot.sh" unpack "$staging" "${NGINX_DEBS[@]}" >"$OUT/.keys/nginx.debs"
  "$TOOLS/rootcopy" -from "$staging" -to "$root" /usr/sbin/nginx /usr/lib/nginx/modules/ngx_stream_module.so
  install -d -m 0755 "$root/etc/nginx/modules-enabled" "$root/var/lib/nginx" "$root/var/log/nginx" \
    "$root/run" "$root/usr/share/nginx"
  ln -s ../../lib/nginx/modules "$root/usr/share/nginx/modules"
  echo 'load_module /usr/lib/nginx/modules/ngx_stream_module.so;' >"$root/etc/nginx/modules-enabled/50-mod-stream.conf"
  chmod 0644 "$root/etc/nginx/modules-enabled/50-mod-stream.conf"
  rm -rf "$staging"
}

# --- the service load balancer: Debian haproxy ---------------------------------------------------
HAPROXY_DEBS=(haproxy)
haproxy_root() {
  local root="$1" staging="$WORK/staging-haproxy"
  rm -rf "$staging"
  bash "$ARTIFACTS_SRC/debroot.sh" unpack "$staging" "${HAPROXY_DEBS[@]}" >"$OUT/.keys/haproxy.debs"
  "$TOOLS/rootcopy" -from "$staging" -to "$root" /usr/sbin/haproxy
  install -d -m 0755 "$root/usr/local/etc/haproxy" "$root/var/lib/haproxy" "$root/run"
  rm -rf "$staging"
}

main() {
  BUILD="${1:?usage: images.sh BUILD_DIR OUT_DIR K8S_VERSION}"
  OUT="${2:?usage: images.sh BUILD_DIR OUT_DIR K8S_VERSION}"
  VERSION="${3:?usage: images.sh BUILD_DIR OUT_DIR K8S_VERSION}"
  TOOLS="$BUILD/tools"
  mkdir -p "$OUT/.keys"
  WORK="$(mktemp -d "$OUT/../.images-work.XXXXXX")"
  trap 'rm -rf "$WORK"' EXIT

  # the names kubeadm itself will ask containerd for
  local -a list
  mapfile -t list < <("$BUILD/k8s/kubeadm" config images list --kubernetes-version "v$VERSION" --image-repository "$REPO" 2>/dev/null)
  ((${#list[@]} > 0)) || die "kubeadm config images list printed nothing"
  log "kubeadm v$VERSION lists: ${list[*]}"
  local image name tag pause_tag="" coredns_tag="" want=()
  for image in "${list[@]}"; do
    name="${image%:*}" tag="${image##*:}"
    case "$name" in
      "$REPO"/kube-apiserver | "$REPO"/kube-controller-manager | "$REPO"/kube-scheduler | "$REPO"/kube-proxy)
        [[ "$tag" == "v$VERSION" ]] || die "kubeadm wants $image, not v$VERSION"
        want+=("${name#"$REPO"/}")
        ;;
      "$REPO"/pause) pause_tag="$tag" ;;
      "$REPO"/coredns/coredns) coredns_tag="$tag" ;;
      "$REPO"/etcd) ;; # etcd runs as a host service (external to kubeadm): no image
      *) die "kubeadm lists an image this script does not build: $image" ;;
    esac
  done
  [[ -n "$pause_tag" && -n "$coredns_tag" && ${#want[@]} -eq 4 ]] || die "unexpected kubeadm image list: ${list[*]}"
  local have=""
  [[ -x "$BUILD/coredns/coredns" ]] && have="$("$BUILD/coredns/coredns" -version)" && have="${have%%$'\n'*}"
  [[ "$have" == "CoreDNS-${coredns_tag#v}" ]] || die "kubeadm wants coredns $coredns_tag, build/coredns is '$have' (coredns.sh $coredns_tag)"
  local ms_tag=""
  [[ -x "$BUILD/metrics-server/metrics-server" ]] && ms_tag="$("$BUILD/metrics-server/metrics-server" --version 2>/dev/null)"
  [[ "$ms_tag" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "build/metrics-server/metrics-server --version says '$ms_tag' (metrics-server.sh VERSION)"

  for name in kube-apiserver kube-controller-manager kube-scheduler; do kube_image "$name" "v$VERSION"; done
  local apt_key
  apt_key="$(apt_lists_key)"
  timed "image kube-proxy" build_image "kube-proxy_v$VERSION.tar" "$BUILD/k8s/kube-proxy" "apt:$apt_key" "${PROXY_DEBS[@]}" -- kube_proxy_root -- \
    -name "$REPO/kube-proxy:v$VERSION" -entrypoint '["/usr/local/bin/kube-proxy"]' -env "$PATH_ENV"
  timed "image pause" build_image "pause_$pause_tag.tar" "$TOOLS/pause" -- pause_root -- \
    -name "$REPO/pause:$pause_tag" -entrypoint '["/pause"]' -user 65535:65535
  timed "image coredns" build_image "coredns_$coredns_tag.tar" "$BUILD/coredns/coredns" -- coredns_root -- \
    -name "$REPO/coredns/coredns:$coredns_tag" -entrypoint '["/coredns"]' -env "$PATH_ENV"
  timed "image metrics-server" build_image "metrics-server_$ms_tag.tar" "$BUILD/metrics-server/metrics-server" -- metrics_server_root -- \
    -name "$REPO/metrics-server/metrics-server:$ms_tag" -entrypoint '["/metrics-server"]' -env "$PATH_ENV" -user 65534:65534
  timed "image apiserver-proxy" build_image "apiserver-proxy_lab.tar" "apt:$apt_key" "${NGINX_DEBS[@]}" -- nginx_root -- \
    -name "$LAB_REPO/apiserver-proxy:lab" -cmd '["/usr/sbin/nginx","-c","/etc/kubeadm-ha-proxy/nginx.conf"]' \
    -env "$PATH_ENV" -stopsignal SIGQUIT
  timed "image haproxy" build_image "haproxy_lab.tar" "apt:$apt_key" "${HAPROXY_DEBS[@]}" -- haproxy_root -- \
    -name "$LAB_REPO/haproxy:lab" -entrypoint '["/usr/sbin/haproxy","-W","-db"]' -cmd '["-f","/usr/local/etc/haproxy/haproxy.cfg"]' \
    -env "$PATH_ENV" -user 65534:65534 -stopsignal SIGUSR1
  timed "image echo" build_image "echo_lab.tar" "$TOOLS/echo" -- echo_root -- \
    -name "$LAB_REPO/echo:lab" -entrypoint '["/echo"]' -user 65534:65534

  # drop tars of images no longer built (an older tag)
  local keep=" kube-apiserver_v$VERSION.tar kube-controller-manager_v$VERSION.tar kube-scheduler_v$VERSION.tar kube-proxy_v$VERSION.tar pause_$pause_tag.tar coredns_$coredns_tag.tar metrics-server_$ms_tag.tar apiserver-proxy_lab.tar haproxy_lab.tar echo_lab.tar "
  local f
  for f in "$OUT"/*.tar; do
    [[ "$keep" == *" $(basename "$f") "* ]] || { log "removing stale $(basename "$f")"; rm -f "$f" "$OUT/.keys/$(basename "$f").key"; }
  done
}

main "$@"
