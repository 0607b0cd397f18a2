// The cluster part of the config (ClusterSpec): read from the stack config's own keys with their
// defaults, by validateConfig for a stack and by clusterSpec() for programs that embed the
// components without a stack config. Every value is validated the same way in both.

import { PHASES } from "../components/phases";
import { ConfigError, Raw, Reader } from "./reader";
import { ArtifactsConfig, CNIS, ClusterConfig, ClusterSpec, HostSpec, ProviderName } from "./types";
import {
  readArtifacts,
  readEtcdSnapshots,
  readKubernetesVersion,
  readLeaderElection,
  readPki,
  readPreflight,
  readUpgrade,
  VERSION_PLACEHOLDER,
} from "./validators/cluster";
import { readHardening } from "./validators/hardening";
import type { Counts } from "./validators/hosts";
import { checkNetworks, readApiEndpoint } from "./validators/network";
import { DNS_LABEL, KINDS } from "./validators/patterns";
import { readServiceLoadBalancer } from "./validators/serviceLoadBalancer";
import { readAddons } from "./validators/addons";
import { readKubelet } from "./validators/kubelet";

/** The stack config keys a ClusterSpec is read from. */
export const CLUSTER_SPEC_KEYS = [
  "clusterName",
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
  "artifacts",
  "serviceLoadBalancer",
  "addons",
  "leaderElection",
  "pki",
  "etcdSnapshots",
  "upgrade",
  "allowCgroupV1",
  "kubelet",
  "hardening",
  "ignorePreflightErrors",
  "stopAfter",
  "apiserverProxyImage",
] as const;

/**
 * `artifacts.dir` may name the version: `{kubernetesVersion}` in it is replaced, so one config line
 * (kubernetesVersion) moves a stack to the next version's air-gapped artifacts.
 */
export function artifactsFor(artifacts: ArtifactsConfig, kubernetesVersion: string): ArtifactsConfig {
  return artifacts.dir ? { ...artifacts, dir: artifacts.dir.split(VERSION_PLACEHOLDER).join(kubernetesVersion) } : artifacts;
}

/** What the cross-checks know of the machines (nothing, for an embedded cluster). */
export interface MachinesView {
  provider?: ProviderName;
  hosts: HostSpec[];
  counts: Counts;
  /** the cloud network the pod and service ranges must stay out of, and its key */
  vpc?: { cidr: string; key: string };
}

export function readClusterSpec(r: Reader, raw: Raw, machines: MachinesView): Omit<ClusterSpec, "resetOnDestroy"> {
  const clusterName = r.string(raw.clusterName, "clusterName", "kubeadm-ha");
  if (!DNS_LABEL.test(clusterName)) {
    r.fail("clusterName", `'${clusterName}' is not a DNS label`, "use lower-case letters, digits and '-' (max 63)");
  }
  const podCidr = r.string(raw.podCidr, "podCidr", "10.244.0.0/16");
  const serviceCidr = r.string(raw.serviceCidr, "serviceCidr", "10.96.0.0/12");
  const { provider, hosts, counts } = machines;
  const apiEndpoint = readApiEndpoint(r, raw, provider, hosts);
  checkNetworks(r, podCidr, serviceCidr, hosts, apiEndpoint, machines.vpc, counts);
  const kubernetesVersion = readKubernetesVersion(r, raw.kubernetesVersion);
  return {
    clusterName,
    kubernetesVersion,
    podCidr,
    serviceCidr,
    apiEndpoint,
    cni: r.oneOf(raw.cni, "cni", CNIS, "calico"),
    artifacts: artifactsFor(readArtifacts(r, raw.artifacts), kubernetesVersion),
    serviceLoadBalancer: readServiceLoadBalancer(r, raw.serviceLoadBalancer, provider, hosts, counts.workerCount),
    addons: readAddons(r, raw.addons),
    leaderElection: readLeaderElection(r, raw.leaderElection),
    pki: readPki(r, raw.pki),
    etcdSnapshots: readEtcdSnapshots(r, raw.etcdSnapshots),
    upgrade: readUpgrade(r, raw.upgrade),
    allowCgroupV1: r.bool(raw.allowCgroupV1, "allowCgroupV1", false),
    kubelet: readKubelet(r, raw.kubelet),
    hardening: readHardening(r, raw.hardening, kubernetesVersion),
    ignorePreflightErrors: readPreflight(r, raw.ignorePreflightErrors),
    stopAfter: r.oneOf(raw.stopAfter, "stopAfter", PHASES, PHASES[PHASES.length - 1]),
    apiserverProxyImage: r.text(raw.apiserverProxyImage, "apiserverProxyImage", KINDS.image, "docker.io/library/nginx:1.29.1-alpine"),
  };
}

/**
 * A ClusterSpec for a program that brings its own nodes: the stack config's keys (README, "Stack
 * config reference"), defaults for the rest, every value checked; throws a ConfigError naming each
 * key and its fix. `resetOnDestroy`: undo each phase on the hosts on destroy (default true: nodes
 * that are not VMs of the same program outlive the cluster).
 */
export function clusterSpec(raw: Raw = {}, options: { resetOnDestroy?: boolean } = {}): ClusterSpec {
  const r = new Reader();
  r.allowKeys(raw, "", CLUSTER_SPEC_KEYS);
  const spec = readClusterSpec(r, raw, { hosts: [], counts: { controlPlaneCount: 0, etcdCount: 0, workerCount: 0 } });
  if (r.issues.length > 0) throw new ConfigError(r.issues);
  return { ...spec, resetOnDestroy: options.resetOnDestroy ?? true };
}

/** The cluster part of a validated stack config: bare metal resets its hosts on destroy, clouds delete theirs. */
export function clusterSpecOf(config: ClusterConfig): ClusterSpec {
  return {
    clusterName: config.clusterName,
    kubernetesVersion: config.kubernetesVersion,
    podCidr: config.podCidr,
    serviceCidr: config.serviceCidr,
    apiEndpoint: config.apiEndpoint,
    cni: config.cni,
    artifacts: config.artifacts,
    serviceLoadBalancer: config.serviceLoadBalancer,
    addons: config.addons,
    leaderElection: config.leaderElection,
    pki: config.pki,
    etcdSnapshots: config.etcdSnapshots,
    upgrade: config.upgrade,
    allowCgroupV1: config.allowCgroupV1,
    kubelet: config.kubelet,
    hardening: config.hardening,
    ignorePreflightErrors: config.ignorePreflightErrors,
    stopAfter: config.stopAfter,
    apiserverProxyImage: config.apiserverProxyImage,
    resetOnDestroy: config.provider === "baremetal",
  };
}
