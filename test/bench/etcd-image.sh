#!/usr/bin/env bash
# The etcd image the benchmark's plain kubeadm script runs as kubeadm's stacked etcd static pod:
# the same etcd binary kubeadm-ha runs as a host service (so both clusters run one etcd), FROM
# scratch, made by the lab's own image tool (ocitar). Rebuilt only when missing.
#   etcd-image.sh ETCD_BINARY OCITAR OUT_TAR TAG
set -euo pipefail
binary=${1:?usage: etcd-image.sh ETCD_BINARY OCITAR OUT_TAR TAG} ocitar=${2:?} out=${3:?} tag=${4:?}
[[ -s "$out" ]] && exit 0
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
install -D -m 0755 "$binary" "$root/usr/local/bin/etcd"
install -d -m 1777 "$root/tmp"
install -d -m 0700 "$root/var/lib/etcd"
SOURCE_DATE_EPOCH=0 "$ocitar" -root "$root" -o "$out.part" -name "kubeadm-ha.local/etcd:$tag" \
  -entrypoint '["/usr/local/bin/etcd"]' -env "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" >/dev/null
mv "$out.part" "$out"
