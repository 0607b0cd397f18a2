// Public API of the kubeadm-ha package: the components, the providers, the node contract and the
// config validation, for other Pulumi programs to compose (see examples/embed).

export { Cluster, type ClusterArgs, type NodeSummary } from "./components/cluster";
export { ClusterPki, type ClusterPkiArgs, type CertPair, type PkiMember } from "./components/pki";
export { HostPrep, type HostPrepArgs } from "./components/hostPrep";
export { EtcdCluster, type EtcdClusterArgs } from "./components/etcd";
export { ControlPlane, type ControlPlaneArgs } from "./components/controlPlane";
export { Workers, type WorkersArgs } from "./components/workers";
export { ApiserverProxy, type ApiserverProxyArgs } from "./components/apiserverProxy";
export { Vip, type VipArgs } from "./components/vip";
export { Cni, type CniArgs } from "./components/cni";
export { ServiceLoadBalancer, type ServiceLoadBalancerArgs } from "./components/serviceLoadBalancer";
export { MetricsServer, type MetricsServerArgs } from "./components/metricsServer";
export { nodesWithRole, sshConnection } from "./providers/node";
export type { ClusterNode, NodeRole, ConnectionArgs } from "./providers/node";
export { createInfrastructure } from "./providers";
export { AwsInfrastructure } from "./providers/aws";
export { BareMetalInfrastructure } from "./providers/baremetal";
export { DigitalOceanInfrastructure } from "./providers/digitalocean";
export type { Infrastructure } from "./providers";
export { validateConfig } from "./config/validate";
export { clusterSpec, clusterSpecOf } from "./config/clusterSpec";
export { loadBalancerDnsRecords, type LoadBalancerDnsArgs } from "./providers/dns";
export type { SecretPresence } from "./config/validate";
export { loadConfig, type LoadedConfig } from "./config/load";
export { ConfigError, type ConfigIssue } from "./config/reader";
export * from "./config/types";
export { upgradeStep, describeUpgrade, type UpgradeStep } from "./config/upgrade";
export { previousDeployment, type PreviousDeployment } from "./config/previousDeployment";
