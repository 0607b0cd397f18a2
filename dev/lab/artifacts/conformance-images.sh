#!/usr/bin/env bash
# Builds the images Kubernetes' [Conformance] tests run, under the names and tags the suite asks
# for (k8s.io/kubernetes test/utils/image/manifest.go of the version under test), so nothing is
# pulled: the tars are imported on every lab node and the pods' IfNotPresent pull finds them.
#   conformance-images.sh BIN_DIR ETCD_DIR LAB_BUILD_DIR OUT_DIR
# BIN_DIR: agnhost, nnp, sample-apiserver (k8s.sh with KHA_K8S_E2E=true); ETCD_DIR: etcd 3.6
# (dev/lab/etcd-build.sh); LAB_BUILD_DIR: the lab artifacts' build/ (tools/ocitar, tools/rootcopy,
# coredns/coredns). Upstream builds these FROM alpine, busybox, httpd, nginx and debian images;
# here each is FROM scratch with Debian's binaries and exactly the libraries they load (go/rootcopy)
# and Debian's busybox for the shell and the small commands the tests run in them (sh, mv,
# seq, hostname, awk, ...). What the tests need of each, from test/images/*/Dockerfile and the
# tests that use it:
#   agnhost 2.56        /agnhost (ENTRYPOINT, CMD pause), /agnhost-2, /coredns, /uploads,
#                       /localhost.{crt,key} (porter), dig, getent, curl, nc, ip, iperf, bash; the
#                       user 1000 and group 50000 the image defines
#   nautilus 1.7        agnhost plus /nautilus.jpg and /data.json, CMD test-webserver
#   busybox 1.37.0-1    busybox's applets (static), bash as sh, CMD sh
#   httpd 2.4.38-4, 2.4.39-4  Apache serving /usr/local/apache2/htdocs/index.html on :80 (the
#                       StatefulSet tests move that file away to fail the readiness probe), CMD
#                       httpd-foreground; the two tags differ by a label only (a rollout needs two
#                       images)
#   nginx 1.14-4        nginx on :80, CMD nginx -g 'daemon off;'
#   jessie-dnsutils 1.7 dig, getent, bash (the DNS tests' probes)
#   nonewprivs 1.3      /usr/local/bin/nnp, setuid root, CMD nnp
#   sample-apiserver 1.29.2  /sample-apiserver (ENTRYPOINT)
#   etcd 3.6.4-0        /usr/local/bin/etcd (the sample apiserver's storage)
# Each tar is rebuilt only when its inputs change (image-lib.sh); the output is deterministic.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=image-lib.sh
source "$(dirname "$0")/image-lib.sh"
umask 022

BIN="" ETCD="" LAB_BUILD=""
E2E_REPO="registry.k8s.io/e2e-test-images"
K8S_MODULE="${K8S_MODULE:-}"
# Debian packages the images take binaries from (non-library dependencies are named here too:
# debroot.sh follows only lib* on its own)
DEBS=(busybox bind9-dnsutils bind9-libs libc-bin curl netcat-openbsd iproute2 iperf bash apache2-bin nginx)
STAGING="" STAGING_STATIC=""

# busybox at /bin/busybox and a link in /bin for each applet that is not there yet: called last,
# after the Debian binaries (bash, ip, nc ...) are in place, which stay in front. Debian's dynamic
# busybox, not busybox-static: the static build's shell runs its own applets before anything on
# PATH (a rescue shell), so `sh -c 'nc ...'` would get busybox's nc, not the image's
# (Alpine's busybox, upstream's base, does not do that).
# The busybox image: upstream's busybox shell passes the environment on as the container got it,
# names a shell variable cannot have (data-1=...) included, and the ConfigMap and Secret env tests
# read them through `sh -c env`; Debian's ash (bookworm's and trixie's, dynamic or static) drops
# them, bash keeps them. So its sh is bash, and every other command a (static) busybox applet. The
# one test that reads ash's own error message is on the skip list (test/e2e/conformance.test.sh).
busybox_image_root() {
  local root="$1"
  "$TOOLS/rootcopy" -from "$STAGING" -to "$root" /bin/bash
  ln -s bash "$root/bin/sh"
  busybox_root "$root" "$STAGING_STATIC"
}
busybox_root() {
  local root="$1" from="${2:-$STAGING}" applet
  "$TOOLS/rootcopy" -from "$from" -to "$root" /bin/busybox
  # glibc loads libgcc_s when a thread exits (Apache's workers, dig's): no binary links it, so
  # rootcopy cannot see it
  if [[ -e "$root/lib/x86_64-linux-gnu/libc.so.6" && ! -e "$root/lib/x86_64-linux-gnu/libgcc_s.so.1" ]]; then
    install -m 0644 "$STAGING/lib/x86_64-linux-gnu/libgcc_s.so.1" "$root/lib/x86_64-linux-gnu/libgcc_s.so.1"
  fi
  while read -r applet; do
    [[ -e "$root/bin/$applet" || "$applet" == busybox ]] || ln -s busybox "$root/bin/$applet"
  done < <("$root/bin/busybox" --list)
  install -d -m 0755 "$root/root" "$root/var" "$root/run" "$root/usr/local/bin"
}

# dig, getent and bash: the DNS probes' tools
dns_tools_root() {
  local root="$1"
  "$TOOLS/rootcopy" -from "$STAGING" -to "$root" /usr/bin/dig /usr/bin/getent /bin/bash
}

agnhost_root() {
  local root="$1"
  dns_tools_root "$root"
  "$TOOLS/rootcopy" -from "$STAGING" -to "$root" /usr/bin/curl /bin/nc.openbsd /bin/ip /usr/bin/iperf
  install -d -m 0755 "$root/usr/local/bin"
  ln -s ../../bin/nc.openbsd "$root/usr/bin/nc"
  ln -s ../../bin/ip "$root/usr/bin/ip"
  ln -s ../../bin/iperf "$root/usr/local/bin/iperf"
  install -m 0755 "$BIN/agnhost" "$root/agnhost"
  ln -s agnhost "$root/agnhost-2"
  install -m 0755 "$LAB_BUILD/coredns/coredns" "$root/coredns"
  install -d -m 0755 "$root/uploads"
  install -m 0644 "$K8S_MODULE/test/images/agnhost/porter/localhost.crt" "$root/localhost.crt"
  install -m 0644 "$K8S_MODULE/test/images/agnhost/porter/localhost.key" "$root/localhost.key"
  # adduser -u 1000 -D user-defined-in-image; addgroup -g 50000 group-defined-in-image (member)
  echo 'user-defined-in-image:x:1000:1000::/home/user-defined-in-image:/bin/sh' >>"$root/etc/passwd"
  printf 'user-defined-in-image:x:1000:\ngroup-defined-in-image:x:50000:user-defined-in-image\n' >>"$root/etc/group"
  install -d -m 0755 -o 1000 -g 1000 "$root/home/user-defined-in-image"
  busybox_root "$root"
}

nautilus_root() {
  agnhost_root "$1"
  install -m 0644 "$K8S_MODULE/test/images/nautilus/html/nautilus.jpg" "$1/nautilus.jpg"
  install -m 0644 "$K8S_MODULE/test/images/nautilus/html/data.json" "$1/data.json"
}

jessie_root() {
  dns_tools_root "$1"
  busybox_root "$1"
}

# Apache as the httpd image has it: ServerRoot /usr/local/apache2, htdocs/index.html, logs to the
# container's stdout and stderr, workers as daemon
httpd_root() {
  local root="$1" mods=/usr/lib/apache2/modules m
  # (Debian builds core, unixd, log_config and a few more into the binary)
  local -a modules=(mpm_event authz_core dir mime) copy=(/usr/sbin/apache2)
  for m in "${modules[@]}"; do copy+=("$mods/mod_$m.so"); done
  "$TOOLS/rootcopy" -from "$STAGING" -to "$root" "${copy[@]}"
  install -d -m 0755 "$root/usr/local/bin"
  ln -s ../../sbin/apache2 "$root/usr/local/bin/httpd"
  install -d -m 0755 "$root/usr/local/apache2/conf" "$root/usr/local/apache2/htdocs" "$root/usr/local/apache2/logs"
  install -m 0644 "$K8S_MODULE/test/images/httpd/index.html" "$root/usr/local/apache2/htdocs/index.html"
  echo 'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin' >>"$root/etc/passwd"
  echo 'daemon:x:1:' >>"$root/etc/group"
  {
    echo 'ServerRoot "/usr/local/apache2"'
    echo 'Listen 80'
    for m in "${modules[@]}"; do echo "LoadModule ${m}_module $mods/mod_$m.so"; done
    echo 'User daemon'
    echo 'Group daemon'
    echo 'ServerName localhost'
    echo 'DocumentRoot "/usr/local/apache2/htdocs"'
    echo '<Directory "/usr/local/apache2/htdocs">'
    echo '    Require all granted'
    echo '</Directory>'
    echo 'DirectoryIndex index.html'
    echo 'TypesConfig conf/mime.types'
    echo 'ErrorLog /proc/self/fd/2'
    echo 'LogFormat "%h %l %u %t \"%r\" %>s %b" common'
    echo 'CustomLog /proc/self/fd/1 common'
    echo 'PidFile logs/httpd.pid'
  } >"$root/usr/local/apache2/conf/httpd.conf"
  # (mod_mime refuses to start without its types file)
  printf 'text/html\thtml htm\ntext/plain\ttxt\napplication/json\tjson\n' >"$root/usr/local/apache2/conf/mime.types"
  # upstream's httpd-foreground: a stale pid file from a restarted container must not stop it
  printf '#!/bin/sh\nset -e\nrm -f /usr/local/apache2/logs/httpd.pid\nexec httpd -f /usr/local/apache2/conf/httpd.conf -DFOREGROUND "$@"\n' \
    >"$root/usr/local/bin/httpd-foreground"
  chmod 0755 "$root/usr/local/bin/httpd-foreground"
  busybox_root "$root"
}

nginx_test_root() {
  local root="$1"
  "$TOOLS/rootcopy" -from "$STAGING" -to "$root" /usr/sbin/nginx
  install -d -m 0755 "$root/etc/nginx" "$root/var/lib/nginx" "$root/var/log/nginx" "$root/usr/share/nginx/html"
  echo '<html><body><h1>Welcome to nginx!</h1></body></html>' >"$root/usr/share/nginx/html/index.html"
  cat >"$root/etc/nginx/nginx.conf" <<'CONF'
user nobody nogroup;
worker_processes 1;
error_log /dev/stderr;
pid /run/nginx.pid;
events { worker_connections 1024; }
http {
  access_log /dev/stdout;
  server { listen 80; root /usr/share/nginx/html; index index.html; }
}
CONF
  chmod 0644 "$root/etc/nginx/nginx.conf" "$root/usr/share/nginx/html/index.html"
  busybox_root "$root"
}

nonewprivs_root() {
  install -D -m 4755 "$BIN/nnp" "$1/usr/local/bin/nnp"
  busybox_root "$1"
}
sample_apiserver_root() { install -m 0755 "$BIN/sample-apiserver" "$1/sample-apiserver"; }
etcd_root() { install -D -m 0755 "$ETCD/etcd" "$1/usr/local/bin/etcd"; }

main() {
  local usage="usage: conformance-images.sh BIN_DIR ETCD_DIR LAB_BUILD_DIR OUT_DIR"
  BIN="${1:?$usage}" ETCD="${2:?$usage}" LAB_BUILD="${3:?$usage}" OUT="${4:?$usage}"
  TOOLS="$LAB_BUILD/tools"
  [[ -d "$K8S_MODULE/test/images" ]] || die "K8S_MODULE (the k8s.io/kubernetes module directory) has no test/images"
  local f
  for f in "$BIN/agnhost" "$BIN/nnp" "$BIN/sample-apiserver" "$ETCD/etcd" "$LAB_BUILD/coredns/coredns" "$TOOLS/ocitar" "$TOOLS/rootcopy"; do
    [[ -x "$f" ]] || die "missing $f"
  done
  mkdir -p "$OUT/.keys"
  WORK="$(mktemp -d "$OUT/../.conformance-images-work.XXXXXX")"
  trap 'rm -rf "$WORK"' EXIT
  STAGING="$WORK/staging"
  local apt_key
  apt_key="$(apt_lists_key)"
  bash "$ARTIFACTS_SRC/debroot.sh" unpack "$STAGING" "${DEBS[@]}" >"$OUT/.keys/debs"
  STAGING_STATIC="$WORK/staging-static"
  bash "$ARTIFACTS_SRC/debroot.sh" unpack "$STAGING_STATIC" busybox-static >>"$OUT/.keys/debs"

  local deb="apt:$apt_key" mod="$K8S_MODULE/test/images"
  timed "image agnhost" build_image agnhost_2.56.tar "$BIN/agnhost" "$LAB_BUILD/coredns/coredns" "$deb" "${DEBS[@]}" \
    "$mod/agnhost/porter/localhost.crt" -- agnhost_root -- \
    -name "$E2E_REPO/agnhost:2.56" -entrypoint '["/agnhost"]' -cmd '["pause"]' -env "$PATH_ENV"
  timed "image nautilus" build_image nautilus_1.7.tar "$BIN/agnhost" "$LAB_BUILD/coredns/coredns" "$deb" "${DEBS[@]}" \
    "$mod/nautilus/html/nautilus.jpg" "$mod/nautilus/html/data.json" -- nautilus_root -- \
    -name "$E2E_REPO/nautilus:1.7" -entrypoint '["/agnhost"]' -cmd '["test-webserver"]' -env "$PATH_ENV"
  timed "image busybox" build_image busybox_1.37.0-1.tar "$deb" busybox-static bash -- busybox_image_root -- \
    -name "$E2E_REPO/busybox:1.37.0-1" -cmd '["sh"]' -env "$PATH_ENV"
  timed "image jessie-dnsutils" build_image jessie-dnsutils_1.7.tar "$deb" "${DEBS[@]}" -- jessie_root -- \
    -name "$E2E_REPO/jessie-dnsutils:1.7" -cmd '["bash"]' -env "$PATH_ENV"
  local tag
  for tag in 2.4.38-4 2.4.39-4; do
    timed "image httpd $tag" build_image "httpd_$tag.tar" "$deb" "${DEBS[@]}" "$mod/httpd/index.html" -- httpd_root -- \
      -name "$E2E_REPO/httpd:$tag" -cmd '["httpd-foreground"]' -env "$PATH_ENV" -workdir /usr/local/apache2 \
      -stopsignal SIGWINCH -label "org.kubeadm-ha.tag=$tag"
  done
  timed "image nginx" build_image nginx_1.14-4.tar "$deb" "${DEBS[@]}" -- nginx_test_root -- \
    -name "$E2E_REPO/nginx:1.14-4" -cmd '["nginx","-g","daemon off;"]' -env "$PATH_ENV" -stopsignal SIGQUIT
  timed "image nonewprivs" build_image nonewprivs_1.3.tar "$BIN/nnp" "$deb" busybox -- nonewprivs_root -- \
    -name "$E2E_REPO/nonewprivs:1.3" -cmd '["nnp"]' -env "$PATH_ENV"
  timed "image sample-apiserver" build_image sample-apiserver_1.29.2.tar "$BIN/sample-apiserver" -- sample_apiserver_root -- \
    -name "$E2E_REPO/sample-apiserver:1.29.2" -entrypoint '["/sample-apiserver"]' -env "$PATH_ENV"
  timed "image etcd" build_image etcd_3.6.4-0.tar "$ETCD/etcd" -- etcd_root -- \
    -name "registry.k8s.io/etcd:3.6.4-0" -env "$PATH_ENV"
}

main "$@"
