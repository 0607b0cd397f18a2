// Public API of the kubeadm-ha package: the components, the providers, the node contract and the
// config validation, for other Pulumi programs to compose (see examples/embed).

export { Cluster } from "./components/cluster";
export type { ClusterArgs, NodeSummary } from "./components/cluster";
export { ClusterPki } from "./components/pki";
export type { ClusterPkiArgs, CertPair, PkiMember } from "./components/pki";
export { HostPrep } from "./components/hostPrep";
export type { HostPrepArgs } from "./components/hostPrep";
export { EtcdCluster } from "./components/etcd";
export type { EtcdClusterArgs } from "./components/etcd";
export { ControlPlane } from "./components/controlPlane";
export type { ControlPlaneArgs } from "./components/controlPlane";
export { Workers } from "./components/workers";
export type { WorkersArgs } from "./components/workers";
export { ApiserverProxy } from "./components/apiserverProxy";
export type { ApiserverProxyArgs } from "./components/apiserverProxy";
export { Vip } from "./components/vip";
export type { VipArgs } from "./components/vip";
export { Cni } from "./components/cni";
export type { CniArgs } from "./components/cni";
export { ServiceLoadBalancer } from "./components/serviceLoadBalancer";
export type { ServiceLoadBalancerArgs } from "./components/serviceLoadBalancer";
export { nodesWithRole, sshConnection } from "./providers/node";
export type { ClusterNode, NodeRole, ConnectionArgs } from "./providers/node";
export { createInfrastructure, AwsInfrastructure, BareMetalInfrastructure, DigitalOceanInfrastructure } from "./providers";
export type { Infrastructure } from "./providers";
export { validateConfig } from "./config/validate";
export { clusterSpec, clusterSpecOf } from "./config/clusterSpec";
export { loadBalancerDnsRecords } from "./providers/dns";
export type { LoadBalancerDnsArgs } from "./providers/dns";
export type { SecretPresence } from "./config/validate";
export { loadConfig } from "./config/load";
export type { LoadedConfig } from "./config/load";
export { ConfigError } from "./config/reader";
export type { ConfigIssue } from "./config/reader";
export * from "./config/types";
