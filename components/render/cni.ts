// CNI choices (pure): manifest sources for Calico and Flannel, units for the `bridge` loop.

import type { CniName } from "../../config/types";
import { HOST_PATHS } from "../hostLayout";

export const CALICO_VERSION = "3.30.3";
export const FLANNEL_VERSION = "0.27.4";

export function cniManifestUrl(cni: Exclude<CniName, "bridge">): string {
  return cni === "calico"
    ? `https://raw.githubusercontent.com/projectcalico/calico/v${CALICO_VERSION}/manifests/calico-vxlan.yaml`
    : `https://github.com/flannel-io/flannel/releases/download/v${FLANNEL_VERSION}/kube-flannel.yml`;
}

export function renderPodNetworkService(node: string, podCidr: string): string {
  return [
    "# managed by kubeadm-ha",
    "[Unit]",
    "Description=kubeadm-ha bridge pod network sync",
    "After=kubelet.service",
    "",
    "[Service]",
    "Type=oneshot",
    `Environment=KHA_NODE=${node}`,
    `Environment=KHA_POD_CIDR=${podCidr}`,
    `ExecStart=${HOST_PATHS.libDir}/pod-network-sync.sh`,
    "",
  ].join("\n");
}

export function renderPodNetworkTimer(): string {
  return [
    "# managed by kubeadm-ha",
    "[Unit]",
    "Description=kubeadm-ha bridge pod network sync, every 10 s",
    "",
    "[Timer]",
    "OnBootSec=5s",
    "OnUnitActiveSec=10s",
    "AccuracySec=1s",
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}

/**
 * Lets every node list nodes, which the bridge sync needs to route other nodes' pod ranges. The
 * Node authorizer of Kubernetes 1.32+ only lets a kubelet read its own Node; RBAC adds the rest.
 */
export function renderPodNetworkRbac(): string {
  return [
    "apiVersion: rbac.authorization.k8s.io/v1",
    "kind: ClusterRole",
    "metadata:",
    "  name: kubeadm-ha:pod-network-sync",
    "rules:",
    '  - apiGroups: [""]',
    '    resources: ["nodes"]',
    '    verbs: ["get", "list", "watch"]',
    "---",
    "apiVersion: rbac.authorization.k8s.io/v1",
    "kind: ClusterRoleBinding",
    "metadata:",
    "  name: kubeadm-ha:pod-network-sync",
    "roleRef:",
    "  apiGroup: rbac.authorization.k8s.io",
    "  kind: ClusterRole",
    "  name: kubeadm-ha:pod-network-sync",
    "subjects:",
    "  - apiGroup: rbac.authorization.k8s.io",
    "    kind: Group",
    "    name: system:nodes",
    "",
  ].join("\n");
}
