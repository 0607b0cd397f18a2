#!/usr/bin/env bash
# Second step on Kubernetes nodes (after host-prep.sh and any artifact copies): OS packages when
# allowed, containerd with the systemd cgroup driver, CNI plugins, kubeadm/kubelet/kubectl from
# artifacts, image tars imported into containerd, and the kubelet unit enabled. Idempotent.
#
# Environment: KHA_KUBERNETES_VERSION, KHA_VERSION_RECORDED (true: the program knows the
# version the cluster runs, so a new one is a planned rolling upgrade), KHA_K8S_URL (base URL of the release binaries; empty when air-gapped),
# KHA_INSTALL_PACKAGES (true: apt-get install missing OS packages), KHA_ROOT (tests).
# Files already written by put-files: containerd config, crictl config, kubelet unit + drop-in,
# the kubelet settings drop-in.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

need_packages=()
command -v containerd >/dev/null 2>&1 || need_packages+=(containerd)
command -v conntrack >/dev/null 2>&1 || need_packages+=(conntrack)
command -v socat >/dev/null 2>&1 || need_packages+=(socat)
command -v iptables >/dev/null 2>&1 || need_packages+=(iptables)
if [[ ! -x "$KHA_CNI_BIN_DIR/bridge" && ! -x /usr/lib/cni/bridge ]]; then need_packages+=(containernetworking-plugins); fi
if ((${#need_packages[@]} > 0)); then
  [[ "${KHA_INSTALL_PACKAGES:-false}" == true ]] || die "missing on this host: ${need_packages[*]} (install them, or use artifacts.source: release)"
  log "installing ${need_packages[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_packages[@]}" >/dev/null
fi

# CNI plugins where kubelet and containerd look for them
install -d -m 0755 "$KHA_CNI_BIN_DIR" "$KHA_CNI_CONF_DIR"
if [[ ! -x "$KHA_CNI_BIN_DIR/bridge" && -d /usr/lib/cni ]]; then
  for plugin in /usr/lib/cni/*; do ln -sf "$plugin" "$KHA_CNI_BIN_DIR/$(basename "$plugin")"; done
  log "linked CNI plugins from /usr/lib/cni"
fi

# A node that runs another Kubernetes version is upgraded by kubeadm-upgrade.sh in its turn (control
# planes one by one, then workers drained in batches); here its new binaries and images are only
# staged, so nothing the node runs changes while every node prepares at once. That needs the program
# to have planned the upgrade (KHA_VERSION_RECORDED: it knows the version the stack last deployed); without it a
# new version under a running kubelet would be a silent half-upgrade, and is refused before anything
# on the node changes.
stage_only=false
running=$(kubelet_version)
if [[ -f "$KHA_KUBELET_CONF" && -n "$running" && -n "${KHA_KUBERNETES_VERSION:-}" && "$running" != "v$KHA_KUBERNETES_VERSION" ]]; then
  [[ "${KHA_VERSION_RECORDED:-}" == true ]] ||
    die "this node runs Kubernetes $running and kubernetesVersion is $KHA_KUBERNETES_VERSION, but the program planned no upgrade: it reads the version the cluster runs from the stack's kubernetesVersion output, which a successful pulumi up of this release writes (embedding programs pass it as Cluster's runningKubernetesVersion). Run pulumi up once with kubernetesVersion ${running#v}, then change it"
  upgrade_path_check "$running" "v$KHA_KUBERNETES_VERSION"
  stage_only=true
fi

for name in kubeadm kubelet kubectl; do
  fetch "$name" "${KHA_K8S_URL:+$KHA_K8S_URL/$name}"
  [[ "$stage_only" == true ]] || install_file "$KHA_ARTIFACTS_DIR/bin/$name" "$KHA_BIN_DIR/$name" 0755
done
if [[ "$stage_only" == true ]]; then
  log "staged Kubernetes $KHA_KUBERNETES_VERSION; this node runs $running until the rolling upgrade reaches it"
fi

if config_changed containerd "$KHA_CONTAINERD_CONFIG"; then
  systemctl restart containerd.service
  log "containerd (re)started with the systemd cgroup driver"
fi
systemctl enable containerd.service >/dev/null 2>&1 || true
wait_for "containerd" 30 1 ctr version

# air-gapped images: import each tar once (keyed by its checksum)
shopt -s nullglob
for tar in "$KHA_ARTIFACTS_DIR"/images/*.tar; do
  sum=$(sha256sum "$tar" | cut -d' ' -f1)
  marker="$KHA_STATE_DIR/images/$sum"
  [[ -f "$marker" ]] && continue
  refs=$(ctr -n k8s.io images import "$tar" | awk '$1 == "unpacking" { print $2 }')
  # pinned: the kubelet's image GC leaves them alone (containerd 1.7 and later honour the label;
  # an air-gapped node could not pull a deleted one back)
  for ref in $refs; do ctr -n k8s.io images label "$ref" io.cri-containerd.pinned=pinned >/dev/null; done
  install -d -m 0755 "$(dirname "$marker")"
  basename "$tar" > "$marker"
  log "imported $(basename "$tar")"
done

systemctl daemon-reload
systemctl enable kubelet.service >/dev/null 2>&1
# The kubelet's unit and settings (stack config `kubelet`, its drop-in under --config-dir): a
# running kubelet restarts to read changed ones; its pods keep running. Recorded once it restarted,
# so a failed restart is tried again. (A kubelet not yet started reads them when kubeadm starts it.)
kubelet_files=("$KHA_KUBELET_UNIT_FILE" "$KHA_KUBELET_DROPIN_DIR/10-kubeadm.conf" "$KHA_KUBELET_SETTINGS")
if config_pending kubelet-settings "${kubelet_files[@]}"; then
  if systemctl is-active -q kubelet; then
    systemctl restart kubelet
    log "kubelet restarted with its changed settings"
  fi
  config_record kubelet-settings "${kubelet_files[@]}"
fi
log "Kubernetes node components installed"
