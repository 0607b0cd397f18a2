// kubeadm configuration documents (kubeadm.k8s.io/v1beta4, Kubernetes 1.31+), rendered with a
// YAML library from plain objects (pure).

import { stringify } from "yaml";
import type { ApiEndpointConfig, HardeningConfig, LeaderElectionConfig, NodeRole } from "../../config/types";
import { HOST_PATHS, HOST_VALUES } from "../hostLayout";
import { apiserverHardening } from "./hardening";

/** join configuration with the bootstrap token: mode 0600, removed once the node joined */
export const CONTROL_PLANE_TAINT = { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" };

type Arg = { name: string; value: string };

function args(values: Record<string, string>): Arg[] {
  return Object.entries(values).map(([name, value]) => ({ name, value }));
}

/**
 * Where every node's kubeconfig points. nginx-proxy: localhost, which on a control plane is its
 * own apiserver and elsewhere the node's nginx proxy to all apiservers (Kubespray's design);
 * vip: the floating address; external: the user's load balancer.
 */
export function controlPlaneEndpoint(endpoint: ApiEndpointConfig): string {
  const host = endpoint.mode === "nginx-proxy" ? "localhost" : endpoint.address;
  if (!host) throw new Error(`apiEndpoint ${endpoint.mode} has no address`);
  return `${host}:${endpoint.port}`;
}

export interface ClusterSettings {
  clusterName: string;
  kubernetesVersion: string;
  imageRepository: string;
  podCidr: string;
  serviceCidr: string;
  endpoint: ApiEndpointConfig;
  leaderElection: LeaderElectionConfig;
  etcdEndpoints: string[];
  /** extra apiserver SANs beyond what each node's certificate already carries */
  certSans?: string[];
  /** kubeadm preflight checks to ignore (e.g. SystemVerification on hosts without kernel config) */
  ignorePreflightErrors: string[];
  /** the security defaults (render/hardening.ts) */
  hardening: HardeningConfig;
  /** lifetime of the kubeconfigs kubeadm signs (pki.validityHours); kubeadm's one year when absent */
  certificateValidityHours?: number;
  /** allowCgroupV1: the kubelet runs on cgroup v1 hosts (1.35+ refuses them by default) */
  allowCgroupV1?: boolean;
}

export interface NodeSettings {
  name: string;
  ip: string;
  roles: NodeRole[];
}

function leaderElectionArgs(le: LeaderElectionConfig): Record<string, string> {
  return {
    "leader-elect": "true",
    "leader-elect-lease-duration": le.leaseDuration,
    "leader-elect-renew-deadline": le.renewDeadline,
    "leader-elect-retry-period": le.retryPeriod,
  };
}

function nodeRegistration(node: NodeSettings, ignorePreflightErrors: string[]) {
  const labels: Record<string, string> = node.roles.includes("loadbalancer") ? { "node-labels": "role=loadbalancer" } : {};
  const controlPlaneOnly = node.roles.includes("control-plane") && !node.roles.includes("worker");
  return {
    name: node.name,
    criSocket: HOST_VALUES.criSocket,
    kubeletExtraArgs: args({ "node-ip": node.ip, ...labels }),
    taints: controlPlaneOnly ? [CONTROL_PLANE_TAINT] : [],
    ignorePreflightErrors,
  };
}

export function clusterConfiguration(c: ClusterSettings) {
  const hardening = apiserverHardening(c.hardening);
  return {
    apiVersion: "kubeadm.k8s.io/v1beta4",
    kind: "ClusterConfiguration",
    clusterName: c.clusterName,
    kubernetesVersion: `v${c.kubernetesVersion}`,
    controlPlaneEndpoint: controlPlaneEndpoint(c.endpoint),
    imageRepository: c.imageRepository,
    certificatesDir: HOST_PATHS.pkiDir,
    ...(c.certificateValidityHours ? { certificateValidityPeriod: `${c.certificateValidityHours}h0m0s` } : {}),
    networking: { podSubnet: c.podCidr, serviceSubnet: c.serviceCidr, dnsDomain: "cluster.local" },
    etcd: {
      external: {
        endpoints: c.etcdEndpoints,
        caFile: `${HOST_PATHS.etcdPkiDir}/ca.crt`,
        certFile: `${HOST_PATHS.pkiDir}/apiserver-etcd-client.crt`,
        keyFile: `${HOST_PATHS.pkiDir}/apiserver-etcd-client.key`,
      },
    },
    apiServer: {
      certSANs: c.certSans ?? [],
      extraArgs: args({ "service-cluster-ip-range": c.serviceCidr, ...hardening.extraArgs }),
      extraVolumes: hardening.extraVolumes,
    },
    controllerManager: {
      extraArgs: args({ ...leaderElectionArgs(c.leaderElection), "allocate-node-cidrs": "true", "cluster-cidr": c.podCidr }),
    },
    scheduler: { extraArgs: args(leaderElectionArgs(c.leaderElection)) },
  };
}

/**
 * Cluster-wide: kubeadm uploads it (the kubelet-config ConfigMap) and every joining node uses it.
 * serverTLSBootstrap: the kubelet asks the cluster CA for its serving certificate (a
 * kubernetes.io/kubelet-serving CSR, approved by kubelet-csr-approve.sh) instead of signing one
 * itself, so the apiserver can verify whom it talks to.
 */
function kubeletConfiguration(hardening: HardeningConfig, allowCgroupV1: boolean) {
  return {
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    cgroupDriver: "systemd",
    failSwapOn: true,
    rotateCertificates: true,
    serverTLSBootstrap: hardening.kubeletServingCerts,
    // (absent unless asked for: the kubelet's own default, which 1.35 turned to refusing cgroup v1)
    ...(allowCgroupV1 ? { failCgroupV1: false } : {}),
  };
}

function kubeProxyConfiguration(podCidr: string) {
  return {
    apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
    kind: "KubeProxyConfiguration",
    clusterCIDR: podCidr,
    // NodePorts (the service load balancer's 30800/30443) answer on the node's primary address
    nodePortAddresses: ["primary"],
    // leave the kernel's conntrack table size alone: hosts tune it themselves, and containers
    // (the lab's hosts) cannot set it at all
    conntrack: { maxPerCore: 0 },
  };
}

function documents(docs: object[]): string {
  return docs.map((d) => stringify(d, { lineWidth: 0 })).join("---\n");
}

/**
 * Written on every control plane: `kubeadm init` uses it on the first, and all of them use it to
 * regenerate their static pod manifests when the cluster settings change.
 */
export function renderInitConfig(cluster: ClusterSettings, node: NodeSettings): string {
  return documents([
    {
      apiVersion: "kubeadm.k8s.io/v1beta4",
      kind: "InitConfiguration",
      localAPIEndpoint: { advertiseAddress: node.ip, bindPort: cluster.endpoint.port },
      // certificates come from ClusterPki; kubeadm only writes the kubeconfigs it signs itself.
      // (Its upload-certs phase does nothing without --upload-certs, which is never passed.)
      nodeRegistration: nodeRegistration(node, cluster.ignorePreflightErrors),
    },
    clusterConfiguration(cluster),
    kubeletConfiguration(cluster.hardening, cluster.allowCgroupV1 ?? false),
    kubeProxyConfiguration(cluster.podCidr),
  ]);
}

export interface JoinSettings {
  /** host:port used for discovery (any reachable apiserver) */
  discoveryEndpoint: string;
  token: string;
  caCertHash: string;
  ignorePreflightErrors: string[];
  /** set for control planes: their own API endpoint */
  controlPlane?: { advertiseAddress: string; bindPort: number };
  /**
   * workers: discover through a file too (anonymousAuthHealthOnly, see renderJoinConfig). Control
   * planes always do.
   */
  fileDiscovery?: boolean;
}

/** Whether a join discovers the cluster through HOST_PATHS.discoveryConf (renderJoinDiscoveryFile). */
export function usesFileDiscovery(join: JoinSettings): boolean {
  return Boolean(join.controlPlane || join.fileDiscovery);
}

/**
 * `kubeadm join` (workers) and `kubeadm join --control-plane` (other control planes). Control
 * planes find their certificates pre-placed, so no certificateKey / upload-certs secret is used.
 *
 * Workers discover the cluster with the token, pinned to the CA's hash, through their own
 * endpoint (the local proxy, the VIP or the LB). Control planes use file discovery instead: with
 * `controlPlaneEndpoint: localhost:6443`, token discovery would hand a joining control plane the
 * cluster-info's localhost address, where nothing serves until its own apiserver runs. The file
 * (renderJoinDiscoveryFile) names a running apiserver and carries the CA itself, so nothing is
 * trusted on first use. The kubelet of a control plane then talks to its own apiserver (kubeadm's
 * ControlPlaneKubeletLocalMode, on by default).
 *
 * With anonymousAuthHealthOnly the apiserver answers an anonymous read of kube-public/cluster-info
 * with 401, which token discovery cannot get past: workers then use file discovery as well,
 * through their own endpoint (`fileDiscovery`).
 */
export function renderJoinConfig(join: JoinSettings, node: NodeSettings): string {
  const discovery = usesFileDiscovery(join)
    ? // (without a token here, the discovery file's own credential is the bootstrap token: the rejoin)
      { file: { kubeConfigPath: HOST_PATHS.discoveryConf }, ...(join.token ? { tlsBootstrapToken: join.token } : {}) }
    : {
        bootstrapToken: { apiServerEndpoint: join.discoveryEndpoint, token: join.token, caCertHashes: [join.caCertHash] },
        tlsBootstrapToken: join.token,
      };
  const doc: Record<string, unknown> = {
    apiVersion: "kubeadm.k8s.io/v1beta4",
    kind: "JoinConfiguration",
    discovery,
    nodeRegistration: nodeRegistration(node, join.ignorePreflightErrors),
  };
  if (join.controlPlane) doc.controlPlane = { localAPIEndpoint: join.controlPlane };
  return documents([doc]);
}

/**
 * The discovery kubeconfig of a join (HOST_PATHS.discoveryConf, mode 0600: it holds the token), or
 * undefined when the join uses token discovery. It names the join's discovery endpoint (a running
 * apiserver for control planes, the worker's own endpoint for workers) and carries the CA.
 *
 * Its user is the bootstrap token, not anonymous: kubeadm's file discovery first reads
 * kube-public/cluster-info with the file's credentials and only tolerates a 403 (it then trusts the
 * file). Anonymously, with anonymousAuthHealthOnly, that read is a 401 and kubeadm retries until its
 * discovery timeout; as the token's user it is a 403 (kubeadm grants that ConfigMap to
 * system:anonymous only), and the join goes on with the file as it is.
 */
export function renderJoinDiscoveryFile(join: JoinSettings, caCertPem: string): string | undefined {
  if (!usesFileDiscovery(join)) return undefined;
  return renderDiscoveryKubeconfig(`https://${join.discoveryEndpoint}`, caCertPem, join.token);
}

/** A discovery kubeconfig: an apiserver and the CA, with the bootstrap token as its only credential when given. */
export function renderDiscoveryKubeconfig(server: string, caCertPem: string, token?: string): string {
  return stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        { name: "kubernetes", cluster: { server, "certificate-authority-data": Buffer.from(caCertPem, "utf8").toString("base64") } },
      ],
      contexts: [{ name: "discovery", context: { cluster: "kubernetes", user: "discovery" } }],
      "current-context": "discovery",
      users: [{ name: "discovery", user: token ? { token } : {} }],
    },
    { lineWidth: 0 },
  );
}
