// Whole-config validation, run before any resource exists. Pure: raw values in, a typed
// ClusterConfig out, or a ConfigError listing every problem with its key and its fix. The checks
// live in validators/, one file per concern; this file reads the keys in order and combines them.

import { ConfigError, Raw, Reader } from "./reader";
import { checkQuorum, checkTopology } from "./quorum";
import { CNIS, ClusterConfig, ETCD_TOPOLOGIES, PROVIDERS } from "./types";
import { PHASES } from "../components/phases";
import { readAws, readDigitalOcean } from "./validators/clouds";
import { readArtifacts, readKubernetesVersion, readLeaderElection, readPki, readPreflight } from "./validators/cluster";
import { readCounts, readEndpoint, readHosts, readSsh, SecretPresence } from "./validators/hosts";
import { checkNetworks, readApiEndpoint } from "./validators/network";
import { DNS_LABEL } from "./validators/patterns";
import { readServiceLoadBalancer } from "./validators/serviceLoadBalancer";

export type { SecretPresence } from "./validators/hosts";

export const TOP_LEVEL_KEYS = [
  "provider",
  "clusterName",
  "etcdTopology",
  "controlPlaneCount",
  "etcdCount",
  "workerCount",
  "kubernetesVersion",
  "podCidr",
  "serviceCidr",
  "apiEndpoint",
  "vip",
  "vipImplementation",
  "vipInterface",
  "externalEndpoint",
  "apiPort",
  "cni",
  "hosts",
  "bastion",
  "ssh",
  "artifacts",
  "serviceLoadBalancer",
  "leaderElection",
  "pki",
  "ignorePreflightErrors",
  "stopAfter",
  "apiserverProxyImage",
  "digitalocean",
  "aws",
] as const;

export function validateConfig(raw: Raw, secrets: SecretPresence): ClusterConfig {
  const r = new Reader();
  r.allowKeys(raw, "", TOP_LEVEL_KEYS);

  const provider = r.oneOf(raw.provider, "provider", PROVIDERS);
  const clusterName = r.string(raw.clusterName, "clusterName", "kubeadm-ha");
  if (!DNS_LABEL.test(clusterName)) {
    r.fail("clusterName", `'${clusterName}' is not a DNS label`, "use lower-case letters, digits and '-' (max 63)");
  }
  const etcdTopology = r.oneOf(raw.etcdTopology, "etcdTopology", ETCD_TOPOLOGIES, "stacked");
  const kubernetesVersion = readKubernetesVersion(r, raw.kubernetesVersion);
  const cni = r.oneOf(raw.cni, "cni", CNIS, "calico");
  const podCidr = r.string(raw.podCidr, "podCidr", "10.244.0.0/16");
  const serviceCidr = r.string(raw.serviceCidr, "serviceCidr", "10.96.0.0/12");

  const bastion = raw.bastion === undefined ? undefined : readEndpoint(r, raw.bastion, "bastion", "root");
  const ssh = readSsh(r, raw.ssh, provider, bastion, secrets);
  const hosts = provider === "baremetal" ? readHosts(r, raw.hosts, ssh, etcdTopology) : [];
  if (provider !== "baremetal" && raw.hosts !== undefined) {
    r.fail("hosts", `hosts are only used by the baremetal provider, not '${provider}'`, "remove hosts, or set provider: baremetal");
  }

  const counts = readCounts(r, raw, provider, etcdTopology, hosts);
  checkQuorum(r, counts.etcdCount, counts.controlPlaneCount, etcdTopology);
  if (provider === "baremetal") checkTopology(r, hosts, etcdTopology);

  const apiEndpoint = readApiEndpoint(r, raw, provider, hosts);
  const serviceLoadBalancer = readServiceLoadBalancer(r, raw.serviceLoadBalancer, provider, hosts, counts.workerCount);
  const digitalocean = provider === "digitalocean" ? readDigitalOcean(r, raw.digitalocean) : undefined;
  const aws = provider === "aws" ? readAws(r, raw.aws) : undefined;
  for (const cloud of ["digitalocean", "aws"] as const) {
    if (raw[cloud] !== undefined && provider !== cloud) {
      r.fail(cloud, `the ${cloud} section is set but provider is '${provider}'`, `remove ${cloud}, or set provider: ${cloud}`);
    }
  }

  checkNetworks(r, podCidr, serviceCidr, hosts, apiEndpoint, digitalocean?.vpcCidr ?? aws?.vpcCidr, counts);

  const config: ClusterConfig = {
    clusterName,
    provider: provider ?? "baremetal",
    etcdTopology,
    ...counts,
    kubernetesVersion,
    podCidr,
    serviceCidr,
    apiEndpoint,
    cni,
    hosts,
    ssh,
    artifacts: readArtifacts(r, raw.artifacts),
    serviceLoadBalancer,
    leaderElection: readLeaderElection(r, raw.leaderElection),
    pki: readPki(r, raw.pki),
    ignorePreflightErrors: readPreflight(r, raw.ignorePreflightErrors),
    stopAfter: r.oneOf(raw.stopAfter, "stopAfter", PHASES, "service-load-balancer"),
    apiserverProxyImage: r.string(raw.apiserverProxyImage, "apiserverProxyImage", "docker.io/library/nginx:1.29.1-alpine"),
    digitalocean,
    aws,
  };
  if (r.issues.length > 0) throw new ConfigError(r.issues);
  return config;
}
