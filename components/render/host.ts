// Host preparation files: sysctls, kernel modules, containerd config, kubelet unit (pure).

import { stringify } from "yaml";
import type { KubeletConfig } from "../../config/types";
import { HOST_PATHS, HOST_VALUES } from "../hostLayout";
import { bareToken } from "./guard";

/** pause image tag kubeadm expects per Kubernetes minor. */
const PAUSE_TAGS: Record<number, string> = { 31: "3.10", 32: "3.10", 33: "3.10", 34: "3.10.1" };

export function pauseImage(imageRepository: string, kubernetesVersion: string): string {
  const minor = Number(kubernetesVersion.split(".")[1]);
  return `${imageRepository}/pause:${PAUSE_TAGS[minor] ?? "3.10.1"}`;
}

export function renderSysctls(): string {
  return [
    "# managed by kubeadm-ha",
    "net.ipv4.ip_forward = 1",
    "net.bridge.bridge-nf-call-iptables = 1",
    "net.bridge.bridge-nf-call-ip6tables = 1",
    "fs.inotify.max_user_instances = 8192",
    "fs.inotify.max_user_watches = 524288",
    "",
  ].join("\n");
}

export function renderModules(): string {
  return "# managed by kubeadm-ha (loaded when the kernel allows; built-ins need nothing)\noverlay\nbr_netfilter\n";
}

/** containerd config (format version 2, read by containerd 1.6, 1.7 and 2.x). */
export function renderContainerdConfig(sandboxImage: string): string {
  bareToken(sandboxImage, "the sandbox (pause) image");
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return [
    "# managed by kubeadm-ha",
    "version = 2",
    "",
    `[${cri}]`,
    `  sandbox_image = "${sandboxImage}"`,
    // pods never get an oom_score_adj below containerd's own (-999 under its unit), which the
    // kubelet never asks for; it lets containerd run where the score cannot be lowered at all
    // (hosts that are containers, like the lab's)
    "  restrict_oom_score_adj = true",
    "",
    `[${cri}.containerd]`,
    '  default_runtime_name = "runc"',
    "",
    `[${cri}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    "",
    `[${cri}.containerd.runtimes.runc.options]`,
    "  SystemdCgroup = true",
    "",
    `[${cri}.cni]`,
    `  bin_dir = "${HOST_PATHS.cniBinDir}"`,
    `  conf_dir = "${HOST_PATHS.cniConfDir}"`,
    "",
  ].join("\n");
}

export function renderCrictlConfig(): string {
  return `runtime-endpoint: ${HOST_VALUES.criSocket}\nimage-endpoint: ${HOST_VALUES.criSocket}\ntimeout: 10\n`;
}

export function renderKubeletUnit(): string {
  return [
    "# managed by kubeadm-ha",
    "[Unit]",
    "Description=kubelet: The Kubernetes Node Agent",
    "Documentation=https://kubernetes.io/docs/",
    "Wants=network-online.target containerd.service",
    "After=network-online.target containerd.service",
    "",
    "[Service]",
    `ExecStart=${HOST_PATHS.binDir}/kubelet`,
    "Restart=always",
    "StartLimitInterval=0",
    "RestartSec=10",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** The drop-in kubeadm's own packages ship: kubelet reads what kubeadm init/join write. */
export function renderKubeletKubeadmDropin(): string {
  return [
    "# managed by kubeadm-ha",
    "[Service]",
    `Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=${HOST_PATHS.kubernetesDir}/bootstrap-kubelet.conf --kubeconfig=${HOST_PATHS.kubeletConf}"`,
    // kubeadm writes config.yaml when a node joins; the drop-ins over it carry what may change later
    `Environment="KUBELET_CONFIG_ARGS=--config=${HOST_PATHS.kubeletDir}/config.yaml --config-dir=${HOST_PATHS.kubeletConfigDropinDir}"`,
    "EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env",
    "EnvironmentFile=-/etc/default/kubelet",
    "ExecStart=",
    `ExecStart=${HOST_PATHS.binDir}/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS`,
    "",
  ].join("\n");
}

/**
 * The `kubelet` stack settings as a KubeletConfiguration drop-in (--config-dir): the kubelet merges
 * it over the config.yaml kubeadm wrote when the node joined (a JSON merge patch: eviction signals
 * not named keep their defaults), so a changed setting reaches running nodes, not only new ones.
 */
export function renderKubeletSettings(kubelet: KubeletConfig): string {
  const doc: Record<string, unknown> = {
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    imageGCHighThresholdPercent: kubelet.imageGCHighThresholdPercent,
    imageGCLowThresholdPercent: kubelet.imageGCLowThresholdPercent,
  };
  const signals = Object.keys(kubelet.evictionHard).sort();
  if (signals.length > 0) doc.evictionHard = Object.fromEntries(signals.map((s) => [s, kubelet.evictionHard[s]]));
  return `# managed by kubeadm-ha (stack config: kubelet)\n${stringify(doc, { lineWidth: 0 })}`;
}
