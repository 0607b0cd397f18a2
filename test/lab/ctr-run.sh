#!/usr/bin/env bash
# Runs ON a lab host (piped over SSH by lab.test.sh): build a tiny OCI image from the host's own
# dash and libc, import it into containerd (k8s.io namespace, overlayfs snapshotter on the bound
# /var/lib/containerd), run it with runc, then remove it. Proves containerd + runc + cgroups work.
set -euo pipefail
work="$(mktemp -d)"
trap 'rm -rf "$work"; ctr -n k8s.io images rm kha.local/lab-tiny:1 >/dev/null 2>&1 || true' EXIT
mkdir -p "$work/rootfs/bin" "$work/rootfs/lib/x86_64-linux-gnu" "$work/rootfs/lib64"
cp /bin/dash "$work/rootfs/bin/sh"
cp /lib/x86_64-linux-gnu/libc.so.6 "$work/rootfs/lib/x86_64-linux-gnu/"
cp /lib64/ld-linux-x86-64.so.2 "$work/rootfs/lib64/"
cd "$work"
tar -C rootfs -cf layer.tar .
layer="$(sha256sum layer.tar | cut -d' ' -f1)"
printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$layer" >config.json
cfg="$(sha256sum config.json | cut -d' ' -f1)"
mv config.json "$cfg.json"
printf '[{"Config":"%s.json","RepoTags":["kha.local/lab-tiny:1"],"Layers":["layer.tar"]}]' "$cfg" >manifest.json
tar -cf image.tar manifest.json "$cfg.json" layer.tar
ctr -n k8s.io images import image.tar >/dev/null
out="$(timeout 60 ctr -n k8s.io run --rm kha.local/lab-tiny:1 "lab-tiny-$$" /bin/sh -c 'echo hello-from-runc')"
[[ "$out" == hello-from-runc ]] || { echo "unexpected output: $out" >&2; exit 1; }
