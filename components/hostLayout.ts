// The one definition of every host path, unit, port and marker that TypeScript (renderers,
// components) and the host scripts share. Scripts read them from components/scripts/layout.sh,
// which is generated from this module (`npm run generate`); a unit test fails when that file is
// stale, and another that no script spells a path this module defines. A rename is one edit here.

/** Absolute paths on the hosts. Scripts see each under "$KHA_ROOT" (empty on hosts, a temp root in tests). */
export const HOST_PATHS = {
  /** what kubeadm-ha installs of its own (scripts, artifacts) */
  installDir: "/opt/kubeadm-ha",
  scriptsDir: "/opt/kubeadm-ha/scripts",
  artifactsDir: "/opt/kubeadm-ha/artifacts",
  /** checksums of applied configs, completion markers */
  stateDir: "/var/lib/kubeadm-ha",
  binDir: "/usr/local/bin",
  libDir: "/usr/local/lib/kubeadm-ha",
  configDir: "/etc/kubeadm-ha",
  kubeadmConfig: "/etc/kubeadm-ha/kubeadm.yaml",
  kubeadmJoinConfig: "/etc/kubeadm-ha/kubeadm-join.yaml",
  discoveryConf: "/etc/kubeadm-ha/discovery.conf",
  /** the first control plane's join configuration, used instead of `kubeadm init` when the cluster exists (no token in it) */
  kubeadmRejoinConfig: "/etc/kubeadm-ha/kubeadm-rejoin.yaml",
  /** this host started `kubeadm init` (kubeadm-init.sh): its own init may be finished over existing data */
  initStartedMark: "/var/lib/kubeadm-ha/init-started",
  /** this host started `kubeadm join` (kubeadm-join.sh, or a rejoin): until it succeeded, the next run resets and joins again */
  joinStartedMark: "/var/lib/kubeadm-ha/join-started",
  /** held by every step for its whole run (render/program.ts): two runs never act on one host at once */
  hostLock: "/run/kubeadm-ha.lock",
  /**
   * held instead by the etcd member steps (install, snapshot): they touch only etcd's files, so on a
   * host that is also a Kubernetes node they run beside host preparation's image import
   */
  etcdLock: "/run/kubeadm-ha-etcd.lock",
  /** the expiry of ClusterPki's renewal clock: a new one renews kubeadm's kubeconfigs (renew_kubeconfigs) */
  kubeconfigRenewal: "/etc/kubeadm-ha/kubeconfig-renewal",
  cniManifestFile: "/etc/kubeadm-ha/cni-manifest.yaml",
  podNetworkRbac: "/etc/kubeadm-ha/pod-network-rbac.yaml",
  proxyConfigDir: "/etc/kubeadm-ha/apiserver-proxy",
  kubernetesDir: "/etc/kubernetes",
  /** the kubelet's static pods (kubeadm writes them) */
  manifestsDir: "/etc/kubernetes/manifests",
  /** the kubelet's container logs, one directory per pod (what a failed apiserver restart shows) */
  podLogsDir: "/var/log/pods",
  pkiDir: "/etc/kubernetes/pki",
  etcdPkiDir: "/etc/kubernetes/pki/etcd",
  /** apiserver configs of the security defaults (render/hardening.ts), one directory each: each is
   * mounted read-only into the apiserver on its own */
  encryptionConfigDir: "/etc/kubernetes/encryption",
  encryptionConfig: "/etc/kubernetes/encryption/config.yaml",
  auditPolicyDir: "/etc/kubernetes/audit",
  auditPolicy: "/etc/kubernetes/audit/policy.yaml",
  authenticationConfigDir: "/etc/kubernetes/authentication",
  authenticationConfig: "/etc/kubernetes/authentication/config.yaml",
  auditLogDir: "/var/log/kubernetes/audit",
  /** which security defaults are on (render/hardening.ts), read by the control-plane scripts */
  hardeningEnv: "/etc/kubeadm-ha/hardening.env",
  adminConf: "/etc/kubernetes/admin.conf",
  kubeletConf: "/etc/kubernetes/kubelet.conf",
  kubeletDir: "/var/lib/kubelet",
  etcdDataDir: "/var/lib/etcd",
  /** etcd snapshots (etcd-snapshot.sh), each with its sha256 beside it */
  etcdSnapshotsDir: "/var/lib/kubeadm-ha/etcd-snapshots",
  etcdEnv: "/etc/etcd.env",
  /** how this member first starts (a new cluster, or joining a running one): etcd-install.sh writes it */
  etcdInitialEnv: "/etc/kubeadm-ha/etcd-initial.env",
  etcdUnitFile: "/etc/systemd/system/etcd.service",
  kubeletUnitFile: "/etc/systemd/system/kubelet.service",
  kubeletDropinDir: "/etc/systemd/system/kubelet.service.d",
  /** KubeletConfiguration drop-ins the kubelet merges over kubeadm's config.yaml (--config-dir) */
  kubeletConfigDropinDir: "/etc/kubernetes/kubelet.conf.d",
  /** the `kubelet` stack settings (render/host.ts renderKubeletSettings), on every node */
  kubeletSettings: "/etc/kubernetes/kubelet.conf.d/50-kubeadm-ha.conf",
  proxyUnitFile: "/etc/systemd/system/kubeadm-ha-apiserver-proxy.service",
  podNetworkServiceFile: "/etc/systemd/system/kubeadm-ha-pod-network.service",
  podNetworkTimerFile: "/etc/systemd/system/kubeadm-ha-pod-network.timer",
  csrApproverServiceFile: "/etc/systemd/system/kubeadm-ha-kubelet-csr-approver.service",
  csrApproverTimerFile: "/etc/systemd/system/kubeadm-ha-kubelet-csr-approver.timer",
  sysctlConf: "/etc/sysctl.d/99-kubeadm-ha.conf",
  modulesConf: "/etc/modules-load.d/kubeadm-ha.conf",
  containerdConfig: "/etc/containerd/config.toml",
  crictlConf: "/etc/crictl.yaml",
  cniBinDir: "/opt/cni/bin",
  cniConfDir: "/etc/cni/net.d",
  bridgeConflist: "/etc/cni/net.d/10-kubeadm-ha-bridge.conflist",
  cniStateDir: "/var/lib/cni",
  keepalivedConf: "/etc/keepalived/keepalived.conf",
} as const;

/** Names, ports and markers (not under KHA_ROOT). */
export const HOST_VALUES = {
  criSocket: "unix:///run/containerd/containerd.sock",
  proxyUnit: "kubeadm-ha-apiserver-proxy.service",
  /** nginx answers /healthz here on localhost (render/nginx.ts), proxy-install.sh waits for it */
  proxyHealthPort: 8081,
  podNetworkUnit: "kubeadm-ha-pod-network",
  /** approves kubelet serving certificates on every control plane (kubelet-csr-approve.sh) */
  csrApproverUnit: "kubeadm-ha-kubelet-csr-approver",
  /** routing protocol number marking the bridge CNI's routes, so sync and reset touch nothing else */
  routeProto: 177,
} as const;

export type HostPath = keyof typeof HOST_PATHS;

/** KHA_ + the key in upper snake case: etcdPkiDir -> KHA_ETCD_PKI_DIR */
export function shellName(key: string): string {
  return `KHA_${key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}`;
}

/** components/scripts/layout.sh (pure). */
export function renderLayoutScript(): string {
  const paths = Object.entries(HOST_PATHS).map(([k, v]) => `${shellName(k)}="$KHA_ROOT${v}"`);
  const values = Object.entries(HOST_VALUES).map(([k, v]) => `${shellName(k)}=${typeof v === "number" ? v : `"${v}"`}`);
  return [
    "# shellcheck shell=bash disable=SC2034",
    "# GENERATED from components/hostLayout.ts by `npm run generate`: edit that file, not this one.",
    "# Host paths are under $KHA_ROOT: empty on real hosts, a temporary root in the script tests.",
    'KHA_ROOT="${KHA_ROOT:-}"',
    ...paths,
    ...values,
    "",
  ].join("\n");
}
