#!/usr/bin/env bash
# Applies a CNI manifest (Calico or Flannel) from the first control plane, with the cluster's pod
# CIDR substituted in. The manifest comes from KHA_CNI_MANIFEST (a file delivered by put-files,
# for air-gapped installs) or is downloaded from KHA_CNI_URL.
#
# Environment: KHA_CNI (calico|flannel), KHA_POD_CIDR, KHA_CNI_URL, KHA_CNI_MANIFEST, KHA_ROOT.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

: "${KHA_CNI:?}" "${KHA_POD_CIDR:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
manifest="$work/cni.yaml"
if [[ -n "${KHA_CNI_MANIFEST:-}" && -s "$KHA_ROOT$KHA_CNI_MANIFEST" ]]; then
  cp "$KHA_ROOT$KHA_CNI_MANIFEST" "$manifest"
else
  : "${KHA_CNI_URL:?no manifest file and no URL}"
  curl -fsSL --retry 3 --connect-timeout 20 -o "$manifest" "$KHA_CNI_URL"
fi

case "$KHA_CNI" in
  calico)
    # the pool CIDR is commented out in Calico's manifest; enable it with ours, VXLAN always
    sed -i -E \
      -e 's|^([[:space:]]*)# (- name: CALICO_IPV4POOL_CIDR)|\1\2|' \
      -e 's|^([[:space:]]*)#   (value: )"[0-9./]+"|\1  \2"'"$KHA_POD_CIDR"'"|' \
      "$manifest"
    ;;
  flannel)
    sed -i -E 's|"Network": "[0-9./]+"|"Network": "'"$KHA_POD_CIDR"'"|' "$manifest"
    ;;
  *) die "unknown CNI $KHA_CNI" ;;
esac
kubectl --kubeconfig "$KHA_ADMIN_CONF" apply --server-side --force-conflicts -f "$manifest"
log "$KHA_CNI applied with pod CIDR $KHA_POD_CIDR"
