// Whole-config validation, run before any resource exists. Pure: raw values in, a typed
// ClusterConfig out, or a ConfigError listing every problem with its key and its fix. The checks
// live in validators/, one file per concern; this file reads the keys in order and combines them.

import { CLUSTER_SPEC_KEYS, readClusterSpec } from "./clusterSpec";
import { ConfigError, Raw, Reader } from "./reader";
import { checkQuorum } from "./quorum";
import { ClusterConfig, ETCD_TOPOLOGIES, PROVIDERS } from "./types";
import { readAws, readDigitalOcean } from "./validators/clouds";
import { checkRebuild, readMachines } from "./validators/machines";
import { pinHostKeys, readCounts, readEndpoint, readHosts, readSsh, SecretPresence } from "./validators/hosts";

export type { SecretPresence } from "./validators/hosts";

/** Every key of the stack config: the machines' own, and the cluster's (CLUSTER_SPEC_KEYS). */
export const TOP_LEVEL_KEYS = [
  "provider",
  "etcdTopology",
  "controlPlaneCount",
  "etcdCount",
  "workerCount",
  "hosts",
  "bastion",
  "ssh",
  "digitalocean",
  "aws",
  "machines",
  ...CLUSTER_SPEC_KEYS,
] as const;

export function validateConfig(raw: Raw, secrets: SecretPresence): ClusterConfig {
  const r = new Reader();
  r.allowKeys(raw, "", TOP_LEVEL_KEYS);

  const provider = r.oneOf(raw.provider, "provider", PROVIDERS);
  const etcdTopology = r.oneOf(raw.etcdTopology, "etcdTopology", ETCD_TOPOLOGIES, "stacked");

  const bastion = raw.bastion === undefined ? undefined : readEndpoint(r, raw.bastion, "bastion", "root");
  const ssh = readSsh(r, raw.ssh, provider, bastion, secrets);
  const hosts = provider === "baremetal" ? readHosts(r, raw.hosts, ssh, etcdTopology) : [];
  if (provider !== "baremetal" && raw.hosts !== undefined) {
    r.fail("hosts", `hosts are only used by the baremetal provider, not '${provider}'`, "remove hosts, or set provider: baremetal");
  }
  pinHostKeys(r, hosts, ssh, secrets);

  const counts = readCounts(r, raw, provider, etcdTopology, hosts);
  checkQuorum(r, counts.etcdCount, counts.controlPlaneCount, etcdTopology);
  // bare metal: any host may carry any mix of roles (etcdTopology: stacked only adds etcd to every
  // control plane); what etcd needs is an odd member count, which checkQuorum holds it to

  const digitalocean = provider === "digitalocean" ? readDigitalOcean(r, raw.digitalocean) : undefined;
  const aws = provider === "aws" ? readAws(r, raw.aws) : undefined;
  for (const cloud of ["digitalocean", "aws"] as const) {
    if (raw[cloud] !== undefined && provider !== cloud) {
      r.fail(cloud, `the ${cloud} section is set but provider is '${provider}'`, `remove ${cloud}, or set provider: ${cloud}`);
    }
  }
  const vpc = digitalocean
    ? { cidr: digitalocean.vpcCidr, key: "digitalocean.vpcCidr" }
    : aws
      ? { cidr: aws.vpcCidr, key: "aws.vpcCidr" }
      : undefined;
  const cluster = readClusterSpec(r, raw, { provider, hosts, counts, vpc });

  const config: ClusterConfig = {
    ...cluster,
    provider: provider ?? "baremetal",
    etcdTopology,
    ...counts,
    hosts,
    ssh,
    digitalocean,
    aws,
    machines: readMachines(r, raw.machines, provider),
  };
  checkRebuild(r, config);
  if (r.issues.length > 0) throw new ConfigError(r.issues);
  return config;
}
