// The validated cluster configuration: what `validateConfig` returns and every component reads.
// Raw stack config (Pulumi.<stack>.yaml, keys under `kubeadm-ha:`) is documented in README.md.

export const PROVIDERS = ["digitalocean", "aws", "baremetal"] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export const ETCD_TOPOLOGIES = ["stacked", "external"] as const;
export type EtcdTopology = (typeof ETCD_TOPOLOGIES)[number];

export const API_ENDPOINT_MODES = ["nginx-proxy", "vip", "external"] as const;
export type ApiEndpointMode = (typeof API_ENDPOINT_MODES)[number];

export const CNIS = ["calico", "flannel", "bridge"] as const;
export type CniName = (typeof CNIS)[number];

export const NODE_ROLES = ["control-plane", "etcd", "worker", "loadbalancer"] as const;
export type NodeRole = (typeof NODE_ROLES)[number];

export const ARTIFACT_SOURCES = ["release", "local"] as const;
export type ArtifactSource = (typeof ARTIFACT_SOURCES)[number];

export const VIP_IMPLEMENTATIONS = ["keepalived"] as const;
export type VipImplementation = (typeof VIP_IMPLEMENTATIONS)[number];

/** Kubernetes minor versions this release is tested with (kubeadm config v1beta4). */
export const SUPPORTED_KUBERNETES_MINORS = [31, 32, 33, 34, 35, 36, 37] as const;
/** the minors the lab runs end to end (README, "Kubernetes versions"); others are accepted with a warning */
export const LAB_PROVEN_KUBERNETES_MINORS = [34, 35] as const;

export interface SshEndpoint {
  host: string;
  user: string;
  port: number;
  /** the pinned host key (`type base64`); unset only under ssh.trustOnFirstUse */
  hostKey?: string;
}

export interface HostSpec {
  name: string;
  /** where SSH connects (public address, or the private one behind a bastion) */
  address: string;
  /** the address cluster traffic uses; defaults to `address` */
  privateIp: string;
  roles: NodeRole[];
  user: string;
  port: number;
  bastion?: SshEndpoint;
  /** the pinned host key (`type base64`): from hosts[].hostKey or ssh.knownHostsFile; unset only under ssh.trustOnFirstUse */
  hostKey?: string;
}

export interface ApiEndpointConfig {
  mode: ApiEndpointMode;
  /** vip mode: the floating address; external mode: the user's LB address or DNS name */
  address?: string;
  port: number;
  vipImplementation: VipImplementation;
  /** vip mode: network interface carrying the VIP (keepalived/kube-vip) */
  vipInterface: string;
}

export interface LeaderElectionConfig {
  leaseDuration: string;
  renewDeadline: string;
  retryPeriod: string;
}

export interface ArtifactsConfig {
  source: ArtifactSource;
  /** local: directory on the machine running Pulumi holding binaries and image tars */
  dir?: string;
  kubernetesBaseUrl: string;
  etcdVersion: string;
  etcdBaseUrl: string;
  /** extra image tars to import on every node (air-gapped), relative to `dir` */
  images: string[];
  /** kubeadm imageRepository; a local name when images are preloaded */
  imageRepository: string;
}

export interface ServiceRoute {
  host: string;
  service: string;
  namespace: string;
  /** HTTP port of the Service */
  port: number;
  /** optional TLS port of the Service: HTTPS on the https NodePort is passed through by SNI */
  tlsPort?: number;
}

/** `addons` (config/validators/addons.ts): cluster add-ons deployed through the cluster's own API */
export interface AddonsConfig {
  /** metrics-server: the resource metrics API (`kubectl top`, HorizontalPodAutoscalers) */
  metricsServer: { enabled: boolean; image: string };
}

/** `kubelet` (config/validators/kubelet.ts): node-level kubelet settings, on every node */
export interface KubeletConfig {
  /** eviction signal -> threshold (10%, 500Mi); signals left out keep the kubelet's defaults */
  evictionHard: Record<string, string>;
  /** disk use (percent) of the image filesystem above which the kubelet deletes unused images */
  imageGCHighThresholdPercent: number;
  /** ... down to this */
  imageGCLowThresholdPercent: number;
}

export interface ServiceLoadBalancerConfig {
  enabled: boolean;
  httpNodePort: number;
  httpsNodePort: number;
  image: string;
  routes: ServiceRoute[];
  /** clouds: how many workers get the loadbalancer role (bare metal: the hosts' roles decide) */
  nodeCount: number;
  /** optional DNS: round-robin A records in this zone */
  dnsZone?: string;
  dnsName?: string;
}

/** etcd snapshots on the first etcd member's host (README, "etcd snapshots and restore") */
export interface EtcdSnapshotsConfig {
  /** how many snapshots stay on the host; the oldest go first */
  keep: number;
  /** any label: a changed value takes a snapshot on the next `pulumi up` (on demand) */
  take: string;
  /** a directory on the machine running Pulumi: every snapshot taken is copied there, verified */
  copyTo?: string;
}

/** how `pulumi up` rolls a new kubernetesVersion out (README, "Upgrading Kubernetes") */
export interface UpgradeConfig {
  /** workers cordoned, drained and upgraded at once; the rest keep serving */
  workersInParallel: number;
  /** how long a drain may take before the upgrade of that node fails (a PodDisruptionBudget that never allows it) */
  drainTimeout: string;
}

export interface PkiConfig {
  validityHours: number;
  earlyRenewalHours: number;
}

/**
 * Cluster defaults a security review expects (each on unless turned off; turning one off is logged
 * as a warning on every run, never silent). See README, "Security defaults".
 */
export interface HardeningConfig {
  /** kubelet serving certificates signed by the cluster CA, approved by kubeadm-ha's approver */
  kubeletServingCerts: boolean;
  /** Secrets encrypted at rest in etcd (secretbox, key from Pulumi state) */
  secretsEncryption: boolean;
  /** apiserver audit log with a production policy and rotation */
  auditLog: boolean;
  /** anonymous requests only to /livez, /readyz and /healthz (Kubernetes 1.32+) */
  anonymousAuthHealthOnly: boolean;
  auditLogMaxAgeDays: number;
  auditLogMaxBackups: number;
  auditLogMaxSizeMb: number;
}

export interface DigitalOceanConfig {
  region: string;
  size: string;
  image: string;
  vpcCidr: string;
  project?: string;
  adminCidrs: string[];
}

/** `machines` (clouds): see config/validators/machines.ts */
export interface MachinesConfig {
  /** control-plane and etcd VMs carry Pulumi's protect */
  protect: boolean;
  /** the VMs let go of on purpose: they take the current image and key, unprotected */
  rebuild: string[];
}

export interface AwsConfig {
  region: string;
  instanceType: string;
  /** explicit AMI id; otherwise the newest Ubuntu LTS from Canonical is looked up */
  ami?: string;
  azCount: number;
  vpcCidr: string;
  adminCidrs: string[];
}

export interface SshConfig {
  user: string;
  port: number;
  /** path to a private key file read at deploy time (lab); otherwise the `sshPrivateKey` secret */
  privateKeyFile?: string;
  /** clouds: public key registered with the provider */
  publicKey?: string;
  bastion?: SshEndpoint;
  /** a known_hosts file on the machine running Pulumi that pins host keys not given in config */
  knownHostsFile?: string;
  /** bare metal: a host without a pinned key is trusted on the first connection, then pinned in state */
  trustOnFirstUse: boolean;
  /** how often a connection attempt is retried before a command fails */
  dialErrorLimit: number;
}

/** A phase of components/phases.ts (PHASES there); `stopAfter` brings a cluster up only to one of them. */
export type Phase = string;

/**
 * What the components build: the cluster part of the stack config, without machines, SSH or
 * clouds. `clusterSpec()` makes one from the stack config's keys with every default filled in.
 */
export interface ClusterSpec {
  clusterName: string;
  kubernetesVersion: string;
  podCidr: string;
  serviceCidr: string;
  apiEndpoint: ApiEndpointConfig;
  cni: CniName;
  artifacts: ArtifactsConfig;
  serviceLoadBalancer: ServiceLoadBalancerConfig;
  addons: AddonsConfig;
  leaderElection: LeaderElectionConfig;
  pki: PkiConfig;
  etcdSnapshots: EtcdSnapshotsConfig;
  upgrade: UpgradeConfig;
  /** kubelet 1.35+ refuses hosts on cgroup v1 unless told otherwise (KubeletConfiguration failCgroupV1: false) */
  allowCgroupV1: boolean;
  kubelet: KubeletConfig;
  hardening: HardeningConfig;
  /** kubeadm preflight checks to ignore (SystemVerification by default: many hosts lack kernel config) */
  ignorePreflightErrors: string[];
  /** stop after this phase (staged roll-outs, debugging, the lab's etcd drills); all by default */
  stopAfter: Phase;
  /** apiserver proxy image (nginx with the stream module) */
  apiserverProxyImage: string;
  /** undo each phase on the hosts on `pulumi destroy`: machines that outlive the cluster (bare metal) */
  resetOnDestroy: boolean;
}

/** The whole validated stack config: the cluster, and the machines that carry it. */
export interface ClusterConfig extends Omit<ClusterSpec, "resetOnDestroy"> {
  provider: ProviderName;
  etcdTopology: EtcdTopology;
  controlPlaneCount: number;
  etcdCount: number;
  workerCount: number;
  hosts: HostSpec[];
  ssh: SshConfig;
  digitalocean?: DigitalOceanConfig;
  aws?: AwsConfig;
  machines: MachinesConfig;
}

/** One planned machine: what a provider must create (clouds) or reach (bare metal). */
export interface NodePlan {
  name: string;
  roles: NodeRole[];
}
