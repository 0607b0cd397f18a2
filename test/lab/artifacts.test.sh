#!/usr/bin/env bash
# Tests the lab's offline Kubernetes artifacts (dev/lab/artifacts/build.sh), as root:
#
#   sudo bash test/lab/artifacts.test.sh
#
# Builds them or reuses the cache (KHA_ARTIFACTS_TEST_BUILD=0: use what is there, skip when
# nothing is), then checks without any container runtime:
#   - the layout: bin/{kubeadm,kubelet,kubectl,etcd,etcdctl}, static, saying the right versions;
#     images/ holds exactly the images `kubeadm config images list` names (etcd aside: it is a
#     host service) plus the lab's apiserver-proxy, haproxy and echo; dev/lab/.work/artifacts links here
#   - each tar as an OCI image layout, independently of our writer (tar, jq, sha256sum, gzip):
#     oci-layout, index.json with both name annotations = the image name, every blob's digest and
#     size, manifest -> config (amd64/linux) -> layer, diff_id = sha256 of the uncompressed layer,
#     layer entries owned by root with fixed mtimes, the entrypoint present in the layer
#   - each image's root actually runs (chroot into the unpacked layer): the kube binaries' --version,
#     kube-proxy's iptables/ip6tables(-save/-restore) on the nft backend, conntrack, nft; nginx
#     loading its stream module and serving a stream proxy + health endpoint on loopback; haproxy
#     checking a config; coredns answering; pause exiting 0 on SIGTERM; echo answering with its
#     hostname and the Host header
#   - determinism: ocitar twice over the same tree gives the same bytes, and the echo image rebuilt
#     from scratch has the same digest as the cached one
#   - if a lab host answers (dev/lab/lab.sh status), `ctr -n k8s.io images import` of the echo tar on
#     it and a `ctr run` of the image answering over HTTP; with KHA_ARTIFACTS_TEST_SMOKE=1 also
#     dev/lab/artifacts/smoke.sh there (kubeadm init, kube-proxy, CoreDNS, echo behind a Service,
#     haproxy pod, apiserver proxy; all undone after). The lab is never started or stopped here.
# Prints "N passed, N failed" last.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VERSION="${KHA_K8S_VERSION:-1.34.1}"
KHA_CACHE="${KHA_CACHE:-$HOME/.cache/kubeadm-ha}"
DIR="$KHA_CACHE/artifacts/k8s-$VERSION"
LAB_WORK="${KHA_LAB_WORK:-$REPO/dev/lab/.work}"

passed=0 failed=0
ok() { passed=$((passed + 1)); printf 'ok   %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf 'FAIL %s\n' "$*"; }
check() { local what="$1"; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

[[ $EUID -eq 0 ]] || { echo "run as root (chroot, apt-get download)" >&2; exit 2; }
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

if [[ "${KHA_ARTIFACTS_TEST_BUILD:-1}" == 1 ]]; then
  start=$SECONDS
  if bash "$REPO/dev/lab/artifacts/build.sh" "$VERSION" >"$WORK/build.out" 2>"$WORK/build.err"; then
    ok "build.sh (build or reuse) in $((SECONDS - start)) s"
  else
    bad "build.sh failed:"; tail -n 30 "$WORK/build.err"
    echo "$passed passed, $failed failed"; exit 1
  fi
elif [[ ! -d "$DIR/images" ]]; then
  echo "no artifacts in $DIR (KHA_ARTIFACTS_TEST_BUILD=0): skipped"
  echo "0 passed, 0 failed, 1 skipped"; exit 0
fi

# --- layout and binaries --------------------------------------------------------------------------
static() { [[ -x "$1" ]] && ! ldd "$1" >/dev/null 2>&1; }  # ldd: "not a dynamic executable"
for b in kubeadm kubelet kubectl etcd etcdctl; do check "bin/$b is a static executable" static "$DIR/bin/$b"; done
check "kubeadm version -o short = v$VERSION" test "$("$DIR/bin/kubeadm" version -o short)" == "v$VERSION"
check "kubelet --version = Kubernetes v$VERSION" test "$("$DIR/bin/kubelet" --version)" == "Kubernetes v$VERSION"
check "kubectl client gitVersion = v$VERSION" test "$("$DIR/bin/kubectl" version --client -o json | jq -r .clientVersion.gitVersion)" == "v$VERSION"
check "etcd --version answers" bash -c "'$DIR/bin/etcd' --version | grep -q 'etcd Version: 3\.'"
check "SHA256SUMS matches" bash -c "cd '$DIR' && sha256sum --quiet -c SHA256SUMS"
check "dev/lab/.work/artifacts -> $DIR" test "$(readlink -f "$LAB_WORK/artifacts")" == "$(readlink -f "$DIR")"

mapfile -t kubeadm_images < <("$DIR/bin/kubeadm" config images list --kubernetes-version "v$VERSION" --image-repository registry.k8s.io 2>/dev/null | grep -v '/etcd:')
expected=("${kubeadm_images[@]}" kubeadm-ha.local/apiserver-proxy:lab kubeadm-ha.local/haproxy:lab kubeadm-ha.local/echo:lab
  registry.k8s.io/metrics-server/metrics-server:v0.8.0)
check "kubeadm lists 6 images besides etcd (${kubeadm_images[*]})" test "${#kubeadm_images[@]}" -eq 6

# --- each tar: OCI layout, independently checked --------------------------------------------------
declare -A NAME_OF=() ROOT_OF=() CONFIG_OF=()
verify_tar() {
  local tar="$1" d e=0
  d="$WORK/oci/$(basename "$1" .tar)"
  mkdir -p "$d"
  tar -xf "$tar" -C "$d" || return 1
  [[ "$(jq -r .imageLayoutVersion "$d/oci-layout")" == 1.0.0 ]] || { echo "  bad oci-layout"; e=1; }
  [[ "$(jq -r .mediaType "$d/index.json")" == application/vnd.oci.image.index.v1+json ]] || { echo "  bad index mediaType"; e=1; }
  [[ "$(jq '.manifests | length' "$d/index.json")" == 1 ]] || { echo "  index must hold one manifest"; return 1; }
  local name ref
  name="$(jq -r '.manifests[0].annotations["io.containerd.image.name"]' "$d/index.json")"
  ref="$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$d/index.json")"
  [[ "$name" == "$ref" && "$name" != null ]] || { echo "  name annotations differ: $name / $ref"; e=1; }
  NAME_OF[$tar]="$name"
  # every blob's content matches its name
  local blob
  for blob in "$d"/blobs/sha256/*; do
    [[ "$(sha256sum "$blob" | cut -d' ' -f1)" == "$(basename "$blob")" ]] || { echo "  blob $(basename "$blob") digest mismatch"; e=1; }
  done
  blob_ok() { # DESCRIPTOR_JSON
    local dig size f
    dig="$(jq -r .digest <<<"$1")" size="$(jq -r .size <<<"$1")"
    f="$d/blobs/sha256/${dig#sha256:}"
    [[ -f "$f" && "$(stat -c %s "$f")" == "$size" ]] || { echo "  missing or wrong-size blob $dig"; return 1; }
    echo "$f"
  }
  local mfile cfile lfile
  mfile="$(blob_ok "$(jq -c '.manifests[0]' "$d/index.json")")" || return 1
  [[ "$(jq -r .mediaType "$mfile")" == application/vnd.oci.image.manifest.v1+json ]] || { echo "  bad manifest mediaType"; e=1; }
  cfile="$(blob_ok "$(jq -c .config "$mfile")")" || return 1
  [[ "$(jq -r '.architecture + "/" + .os' "$cfile")" == amd64/linux ]] || { echo "  config is not amd64/linux"; e=1; }
  [[ "$(jq '.layers | length' "$mfile")" == "$(jq '.rootfs.diff_ids | length' "$cfile")" ]] || { echo "  layers != diff_ids"; e=1; }
  lfile="$(blob_ok "$(jq -c '.layers[0]' "$mfile")")" || return 1
  [[ "$(jq -r '.layers[0].mediaType' "$mfile")" == application/vnd.oci.image.layer.v1.tar+gzip ]] || { echo "  bad layer mediaType"; e=1; }
  [[ "sha256:$(gzip -dc "$lfile" | sha256sum | cut -d' ' -f1)" == "$(jq -r '.rootfs.diff_ids[0]' "$cfile")" ]] || { echo "  diff_id mismatch"; e=1; }
  # entries: owned by root, fixed mtime
  local odd
  odd="$(gzip -dc "$lfile" | tar -tv --numeric-owner --full-time | awk '$2 != "0/0" || $4 != "1970-01-01" { print; exit }')"
  [[ -z "$odd" ]] || { echo "  entry not root-owned or not at the fixed mtime: $odd"; e=1; }
  local root
  root="$WORK/root/$(basename "$tar" .tar)"
  mkdir -p "$root"
  gzip -dc "$lfile" | tar -x -C "$root" --numeric-owner
  ROOT_OF[$tar]="$root" CONFIG_OF[$tar]="$cfile"
  local entry
  entry="$(jq -r '(.config.Entrypoint // .config.Cmd)[0]' "$cfile")"
  [[ "$entry" == /* && -x "$root$entry" ]] || { echo "  entrypoint $entry missing from the layer"; e=1; }
  return "$e"
}

declare -A TAR_OF=()
shopt -s nullglob
tars=("$DIR"/images/*.tar)
shopt -u nullglob
for tar in "${tars[@]}"; do
  if verify_tar "$tar"; then
    ok "OCI layout $(basename "$tar") = ${NAME_OF[$tar]} ($(du -h "$tar" | cut -f1))"
  else
    bad "OCI layout $(basename "$tar")"
  fi
  [[ -n "${NAME_OF[$tar]:-}" ]] && TAR_OF[${NAME_OF[$tar]}]="$tar"
done
for image in "${expected[@]}"; do check "image $image is there" test -n "${TAR_OF[$image]:-}"; done
check "no other image tars" test "${#tars[@]}" -eq "${#expected[@]}"

root_of() { echo "${ROOT_OF[${TAR_OF[$1]:-none}]:-/nonexistent}"; }
config_of() { echo "${CONFIG_OF[${TAR_OF[$1]:-none}]:-/dev/null}"; }
in_root() { local r="$1"; shift; chroot "$r" "$@"; }

# --- the images' roots run -------------------------------------------------------------------------
for c in kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do
  r="$(root_of "registry.k8s.io/$c:v$VERSION")"
  check "$c image: $c --version = v$VERSION" bash -c "chroot '$r' /usr/local/bin/$c --version 2>&1 | grep -qx 'Kubernetes v$VERSION'"
done
r="$(root_of "registry.k8s.io/kube-proxy:v$VERSION")"
for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
  check "kube-proxy image: $t --version (nf_tables)" bash -c "chroot '$r' $t --version 2>&1 | grep -q 'nf_tables'"
done
check "kube-proxy image: iptables-legacy too" bash -c "chroot '$r' iptables-legacy --version | grep -q legacy"
# kube-proxy's own use: restore a ruleset with the matches it uses, read it back (fresh netns)
# shellcheck disable=SC2016  # the script runs in the new namespace
iptables_roundtrip() {
  unshare -n bash -c '
    r="$1"
    printf "*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-X - [0:0]\n-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment \"default/kubernetes:https\" -m tcp --dport 443 -j KUBE-SVC-X\n-A KUBE-SVC-X -p tcp -m statistic --mode random --probability 0.5 -j DNAT --to-destination 10.77.0.11:6443\n-A KUBE-SVC-X -p tcp -j DNAT --to-destination 10.77.0.12:6443\nCOMMIT\n*filter\n:KUBE-FORWARD - [0:0]\n-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP\nCOMMIT\n" |
      chroot "$r" iptables-restore --noflush -w 5 || exit 1
    out="$(chroot "$r" iptables-save)" || exit 1
    grep -q -- "--probability 0.5" <<<"$out" && grep -q -- "--ctstate INVALID -j DROP" <<<"$out" &&
      chroot "$r" ip6tables -t nat -N KUBE-TEST -w 5 && chroot "$r" ip6tables-save -t nat | grep -q ":KUBE-TEST"
  ' _ "$1"
}
check "kube-proxy image: iptables-restore/-save and ip6tables round trip (fresh netns)" iptables_roundtrip "$r"
check "kube-proxy image: conntrack --version" bash -c "chroot '$r' conntrack --version | grep -q 'conntrack v'"
check "kube-proxy image: nft --version" bash -c "chroot '$r' nft --version | grep -q nftables"
check "kube-proxy image: PATH covers /usr/sbin" bash -c "jq -r '.config.Env[]' '$(config_of "registry.k8s.io/kube-proxy:v$VERSION")' | grep -q '^PATH=.*/usr/sbin'"

coredns_image="$(printf '%s\n' "${kubeadm_images[@]}" | grep /coredns/coredns:)"
pause_image="$(printf '%s\n' "${kubeadm_images[@]}" | grep /pause:)"
r="$(root_of "$coredns_image")"
check "coredns image: -version = ${coredns_image##*:}" bash -c "chroot '$r' /coredns -version | grep -qx 'CoreDNS-${coredns_image##*:v}'"
check "coredns image: has the kubeadm Corefile's plugins" bash -c "plugins=\$(chroot '$r' /coredns -plugins); for p in kubernetes forward cache errors health ready loop reload loadbalance log prometheus; do grep -qx \"\$p\" <<<\"\$plugins\" || { echo missing \$p; exit 1; }; done"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
# bounded: 100 tries, each at most 1.2 s (a loaded CI machine starts a Go binary slowly)
wait_http() { local _; for _ in $(seq 100); do curl -fsS --max-time 1 "$@" 2>/dev/null && return 0; sleep 0.2; done; return 1; }
# what a failed check leaves to read: the server's own log
with_log() { local log="$1"; shift; "$@" && return 0; echo "--- $log" >&2; tail -n 20 "$log" >&2 || true; return 1; }

# coredns serving a tiny zone on loopback
r="$(root_of "$coredns_image")"
# two ports asked of the kernel (p + 1 may be taken)
p="$(free_port)" hp="$(free_port)"
printf '.:%s {\n  bind 127.0.0.1\n  hosts {\n    10.1.2.3 probe.lab\n  }\n  health 127.0.0.1:%s\n}\n' "$p" "$hp" >"$r/Corefile"
(cd / && exec chroot "$r" /coredns -conf /Corefile >"$WORK/coredns.log" 2>&1) &
PIDS+=($!)
check "coredns image: serves (health answers)" with_log "$WORK/coredns.log" wait_http -o /dev/null "http://127.0.0.1:$hp/health"

# pause: exits 0 on SIGTERM
r="$(root_of "$pause_image")"
chroot "$r" /pause 2>/dev/null &
pp=$!
sleep 0.5
kill -TERM "$pp"
check "pause image: exits 0 on SIGTERM" wait "$pp"
check "pause image: runs as 65535" test "$(jq -r .config.User "$(config_of "$pause_image")")" == 65535:65535

# echo: hostname and Host header
r="$(root_of kubeadm-ha.local/echo:lab)"
p="$(free_port)"
chroot "$r" /echo -listen "127.0.0.1:$p" >"$WORK/echo.log" 2>&1 &
PIDS+=($!)
out="$(wait_http -H 'Host: drill.example' "http://127.0.0.1:$p/x" || true)"
check "echo image: answers with its hostname and the Host header" bash -c "grep -qx 'hostname=$(hostname)' <<<'$out' && grep -qx 'host=drill.example' <<<'$out'"

# nginx: stream module loaded from modules-enabled, a stream proxy to the echo server + health
r="$(root_of kubeadm-ha.local/apiserver-proxy:lab)"
check "apiserver-proxy image: 50-mod-stream.conf loads the stream module" \
  grep -q '^load_module .*ngx_stream_module.so;' "$r/etc/nginx/modules-enabled/50-mod-stream.conf"
np="$(free_port)" hp="$(free_port)"
mkdir -p "$r/etc/kubeadm-ha-proxy"
cat >"$r/etc/kubeadm-ha-proxy/nginx.conf" <<CONF
include /etc/nginx/modules-enabled/*.conf;
daemon off;
pid /tmp/kubeadm-ha-proxy.pid;
error_log stderr notice;
worker_processes 1;
events { worker_connections 64; }
stream {
  upstream kube_apiserver { least_conn; server 127.0.0.1:$p max_fails=1 fail_timeout=10s; }
  server { listen 127.0.0.1:$np; proxy_pass kube_apiserver; proxy_connect_timeout 1s; }
}
http { access_log off; server { listen 127.0.0.1:$hp; location /healthz { return 200 'ok'; } } }
CONF
chroot "$r" /usr/sbin/nginx -c /etc/kubeadm-ha-proxy/nginx.conf >"$WORK/nginx.log" 2>&1 &
PIDS+=($!)
check "apiserver-proxy image: nginx health endpoint" bash -c "[[ \"\$(curl -fsS --retry 10 --retry-connrefused --retry-delay 1 http://127.0.0.1:$hp/healthz)\" == ok ]]"
check "apiserver-proxy image: stream proxy forwards" bash -c "curl -fsS --max-time 3 -H 'Host: via.nginx' http://127.0.0.1:$np/ | grep -qx host=via.nginx"

# haproxy: the entrypoint checks a config like the service load balancer's
r="$(root_of kubeadm-ha.local/haproxy:lab)"
hcfg="$(jq -c '[.config.Entrypoint, .config.User]' "$(config_of kubeadm-ha.local/haproxy:lab)")"
check "haproxy image: ENTRYPOINT haproxy -W -db, user nobody" test "$hcfg" == '[["/usr/sbin/haproxy","-W","-db"],"65534:65534"]'
printf 'global\n  log stdout format raw local0 info\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\nresolvers cluster_dns\n  parse-resolv-conf\nfrontend http\n  bind 127.0.0.1:18080\n  http-request return status 200 content-type text/plain string ok if { path /healthz }\n' \
  >"$r/usr/local/etc/haproxy/haproxy.cfg"
: >"$r/etc/resolv.conf"
echo 'nameserver 127.0.0.1' >"$r/etc/resolv.conf"
check "haproxy image: -c accepts the config" bash -c "chroot '$r' /usr/sbin/haproxy -c -f /usr/local/etc/haproxy/haproxy.cfg >/dev/null"

# --- determinism -----------------------------------------------------------------------------------
TOOLS="$DIR/build/tools"
mkdir -p "$WORK/det/tree/a/b" && echo hi >"$WORK/det/tree/a/b/f" && ln -s b/f "$WORK/det/tree/a/l"
"$TOOLS/ocitar" -root "$WORK/det/tree" -name x.local/det:1 -o "$WORK/det/1.tar" >/dev/null
touch "$WORK/det/tree/a/b/f"
"$TOOLS/ocitar" -root "$WORK/det/tree" -name x.local/det:1 -o "$WORK/det/2.tar" >/dev/null
check "ocitar: same tree, same bytes" cmp -s "$WORK/det/1.tar" "$WORK/det/2.tar"
no_vcs_stamp() { ! go version -m "$1" 2>/dev/null | grep -q 'vcs\.'; }
check "echo and pause carry no VCS stamp (bytes independent of the checkout)" bash -c "$(declare -f no_vcs_stamp); no_vcs_stamp '$TOOLS/echo' && no_vcs_stamp '$TOOLS/pause'"
echo_tar="${TAR_OF[kubeadm-ha.local/echo:lab]:-}"
if [[ -n "$echo_tar" ]]; then
  mkdir -p "$WORK/det/root/tmp" "$WORK/det/root/etc" && chmod 1777 "$WORK/det/root/tmp"
  cp -a "$(root_of kubeadm-ha.local/echo:lab)/." "$WORK/det/root/"
  SOURCE_DATE_EPOCH=0 "$TOOLS/ocitar" -root "$WORK/det/root" -name kubeadm-ha.local/echo:lab -o "$WORK/det/echo.tar" \
    -entrypoint '["/echo"]' -user 65534:65534 >/dev/null
  check "echo image rebuilt from its own root: same digest" cmp -s "$WORK/det/echo.tar" "$echo_tar"
fi

# --- on a lab host, when a lab is up ----------------------------------------------------------------
host="$(bash "$REPO/dev/lab/lab.sh" status 2>/dev/null | awk '$3 == "running" && /systemd: (running|degraded)/ { print $1; exit }')"
if [[ -n "$host" && -n "$echo_tar" ]]; then
  lab() { bash "$REPO/dev/lab/lab.sh" ssh "$host" "$@"; }
  check "lab $host: ctr import echo tar" bash -c "bash '$REPO/dev/lab/lab.sh' ssh '$host' 'cat >/tmp/kha-echo.tar && ctr -n k8s.io images import /tmp/kha-echo.tar >/dev/null && rm -f /tmp/kha-echo.tar' <'$echo_tar'"
  check "lab $host: image listed" bash -c "bash '$REPO/dev/lab/lab.sh' ssh '$host' 'ctr -n k8s.io images ls -q' </dev/null | grep -qx kubeadm-ha.local/echo:lab"
  # shellcheck disable=SC2016  # expanded on the lab host
  out="$(lab 'set -e; ctr -n k8s.io run -d --net-host kubeadm-ha.local/echo:lab kha-echo-test /echo -listen 127.0.0.1:18099 >/dev/null
    for i in $(seq 30); do curl -fsS -H "Host: lab.drill" http://127.0.0.1:18099/ 2>/dev/null && break; sleep 0.3; done
    ctr -n k8s.io task kill -s SIGTERM kha-echo-test >/dev/null 2>&1 || true
    for i in $(seq 20); do ctr -n k8s.io task ls -q | grep -qx kha-echo-test || break; sleep 0.3; done
    ctr -n k8s.io task rm -f kha-echo-test >/dev/null 2>&1 || true; ctr -n k8s.io containers rm kha-echo-test >/dev/null 2>&1 || true' </dev/null 2>&1 || true)"
  check "lab $host: ctr run echo answers (host=lab.drill)" grep -qx 'host=lab.drill' <<<"$out"
  lab 'ctr -n k8s.io images rm kubeadm-ha.local/echo:lab >/dev/null 2>&1 || true' </dev/null || true
  if [[ "${KHA_ARTIFACTS_TEST_SMOKE:-0}" == 1 ]]; then
    check "lab $host: one-node kubeadm cluster from the artifacts (dev/lab/artifacts/smoke.sh)" \
      bash "$REPO/dev/lab/artifacts/smoke.sh" "$host"
  fi
else
  echo "skip lab import/run: no lab host running (dev/lab/lab.sh up 1)"
fi

echo "$passed passed, $failed failed"
((failed == 0))
