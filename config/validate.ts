// Whole-config validation, run before any resource exists. Pure: raw values in, a typed
// ClusterConfig out, or a ConfigError listing every problem with its key and its fix.

import { cidrContains, cidrsOverlap, isIpv4, parseCidr, parseIpv4 } from "./cidr";
import { ConfigError, isObject, Raw, Reader } from "./reader";
import { checkQuorum, checkTopology } from "./quorum";
import {
  API_ENDPOINT_MODES,
  ARTIFACT_SOURCES,
  ApiEndpointConfig,
  ArtifactsConfig,
  AwsConfig,
  CNIS,
  ClusterConfig,
  DigitalOceanConfig,
  ETCD_TOPOLOGIES,
  HostSpec,
  LeaderElectionConfig,
  NODE_ROLES,
  NodeRole,
  PROVIDERS,
  PkiConfig,
  ProviderName,
  ServiceLoadBalancerConfig,
  ServiceRoute,
  SshConfig,
  SshEndpoint,
  SUPPORTED_KUBERNETES_MINORS,
  VIP_IMPLEMENTATIONS,
} from "./types";
import { PHASES } from "../components/phases";

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

/** What the validator needs to know about secrets without seeing them. */
export interface SecretPresence {
  sshPrivateKey: boolean;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const DURATION = /^(\d+)(ms|s|m)$/;

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

function readKubernetesVersion(r: Reader, value: unknown): string {
  const text = r.string(value, "kubernetesVersion", "1.34.1");
  const match = /^v?1\.(\d+)\.(\d+)$/.exec(text);
  const minors: readonly number[] = SUPPORTED_KUBERNETES_MINORS;
  if (!match || !minors.includes(Number(match[1]))) {
    r.fail(
      "kubernetesVersion",
      `'${text}' is not supported`,
      `use a full version of 1.${minors[0]} to 1.${minors[minors.length - 1]}, e.g. 1.34.1`,
    );
    return text;
  }
  return text.replace(/^v/, "");
}

function readEndpoint(r: Reader, value: unknown, key: string, defaultUser: string): SshEndpoint | undefined {
  const obj = r.object(value, key);
  r.allowKeys(obj, key, ["host", "user", "port"]);
  const host = r.string(obj.host, `${key}.host`);
  if (!host) {
    r.fail(`${key}.host`, "is required", `set ${key}.host to the bastion's address`);
    return undefined;
  }
  return { host, user: r.string(obj.user, `${key}.user`, defaultUser), port: r.int(obj.port, `${key}.port`, 22, 1, 65535) };
}

function readSsh(
  r: Reader,
  value: unknown,
  provider: ProviderName | undefined,
  bastion: SshEndpoint | undefined,
  secrets: SecretPresence,
): SshConfig {
  const obj = r.object(value, "ssh");
  r.allowKeys(obj, "ssh", ["user", "port", "privateKeyFile", "publicKey", "dialErrorLimit"]);
  const ssh: SshConfig = {
    user: r.string(obj.user, "ssh.user", provider === "aws" ? "ubuntu" : "root"),
    port: r.int(obj.port, "ssh.port", 22, 1, 65535),
    privateKeyFile: r.string(obj.privateKeyFile, "ssh.privateKeyFile"),
    publicKey: r.string(obj.publicKey, "ssh.publicKey"),
    bastion,
    dialErrorLimit: r.int(obj.dialErrorLimit, "ssh.dialErrorLimit", 10, 1, 100),
  };
  if (!secrets.sshPrivateKey && !ssh.privateKeyFile) {
    r.fail(
      "sshPrivateKey",
      "no SSH private key is configured",
      "run `pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519`, or set ssh.privateKeyFile",
    );
  }
  if (secrets.sshPrivateKey && ssh.privateKeyFile) {
    r.fail("ssh.privateKeyFile", "both sshPrivateKey and ssh.privateKeyFile are set", "keep only one of them");
  }
  if ((provider === "digitalocean" || provider === "aws") && !ssh.publicKey) {
    r.fail(
      "ssh.publicKey",
      `the ${provider} provider registers a public key with the cloud`,
      "set ssh.publicKey to the key's OpenSSH public line",
    );
  }
  if (ssh.publicKey && !/^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+/.test(ssh.publicKey)) {
    r.fail("ssh.publicKey", "is not an OpenSSH public key line", "paste the content of your key's .pub file");
  }
  return ssh;
}

function readHosts(r: Reader, value: unknown, ssh: SshConfig, topology: string): HostSpec[] {
  const list = r.list(value, "hosts");
  if (list.length === 0) {
    r.fail("hosts", "the baremetal provider needs at least one host", "list your machines under hosts (name, address, roles)");
  }
  const hosts: HostSpec[] = [];
  list.forEach((item, i) => {
    const key = `hosts[${i}]`;
    if (!isObject(item)) {
      r.fail(key, "expected a mapping with name, address and roles", "see the hosts example in README.md");
      return;
    }
    r.allowKeys(item, key, ["name", "address", "privateIp", "roles", "user", "port", "bastion"]);
    const name = r.string(item.name, `${key}.name`) ?? "";
    if (!DNS_LABEL.test(name)) {
      r.fail(`${key}.name`, `'${name}' is not a valid node name`, "use a DNS label: lower-case letters, digits, '-'");
    }
    const address = r.string(item.address, `${key}.address`) ?? "";
    if (!isIpv4(address) && !DNS_NAME.test(address)) {
      r.fail(`${key}.address`, `'${address}' is neither an IPv4 address nor a host name`, "set the address SSH connects to");
    }
    const privateIp = r.string(item.privateIp, `${key}.privateIp`) ?? (isIpv4(address) ? address : "");
    if (!isIpv4(privateIp)) {
      r.fail(`${key}.privateIp`, `'${privateIp}' is not an IPv4 address`, "set privateIp to the address cluster traffic uses");
    }
    const roles = readRoles(r, item.roles, `${key}.roles`);
    if (topology === "stacked" && roles.includes("control-plane") && !roles.includes("etcd")) {
      roles.push("etcd"); // stacked etcd lives on every control plane
    }
    const bastion = item.bastion === undefined ? ssh.bastion : readEndpoint(r, item.bastion, `${key}.bastion`, ssh.user);
    hosts.push({
      name,
      address,
      privateIp,
      roles,
      user: r.string(item.user, `${key}.user`, ssh.user),
      port: r.int(item.port, `${key}.port`, ssh.port, 1, 65535),
      bastion,
    });
  });
  reportDuplicates(r, hosts, (h) => h.name, "name", "give every host a unique name");
  reportDuplicates(r, hosts, (h) => `${h.address}:${h.port}`, "address", "every host needs its own SSH address (or port)");
  reportDuplicates(r, hosts, (h) => h.privateIp, "privateIp", "every host needs its own private IP");
  return hosts;
}

function readRoles(r: Reader, value: unknown, key: string): NodeRole[] {
  const list = r.list(value, key);
  if (list.length === 0) {
    r.fail(key, "a host must have at least one role", `set ${key} to some of: ${NODE_ROLES.join(", ")}`);
  }
  const roles: NodeRole[] = [];
  list.forEach((role, i) => {
    const parsed = r.oneOf(role, `${key}[${i}]`, NODE_ROLES);
    if (parsed && !roles.includes(parsed)) roles.push(parsed);
  });
  return roles;
}

function reportDuplicates(r: Reader, hosts: HostSpec[], pick: (h: HostSpec) => string, what: string, fix: string): void {
  const seen = new Map<string, number>();
  hosts.forEach((host, i) => {
    const value = pick(host);
    const first = seen.get(value);
    if (first !== undefined) {
      r.fail(`hosts[${i}].${what}`, `duplicates hosts[${first}] (${value})`, fix);
    } else {
      seen.set(value, i);
    }
  });
}

interface Counts {
  controlPlaneCount: number;
  etcdCount: number;
  workerCount: number;
}

function readCounts(r: Reader, raw: Raw, provider: ProviderName | undefined, topology: string, hosts: HostSpec[]): Counts {
  if (provider === "baremetal") {
    const count = (role: NodeRole) => hosts.filter((h) => h.roles.includes(role)).length;
    const derived: Counts = {
      controlPlaneCount: count("control-plane"),
      etcdCount: count("etcd"),
      workerCount: count("worker"),
    };
    for (const key of ["controlPlaneCount", "etcdCount", "workerCount"] as const) {
      if (raw[key] === undefined) continue;
      const given = r.int(raw[key], key, derived[key]);
      if (given !== derived[key]) {
        r.fail(
          key,
          `is ${given} but the hosts' roles give ${derived[key]}`,
          `remove ${key} (bare metal counts come from hosts) or fix the roles`,
        );
      }
    }
    return derived;
  }
  const controlPlaneCount = r.int(raw.controlPlaneCount, "controlPlaneCount", 3, 0, 15);
  const etcdCount = r.int(raw.etcdCount, "etcdCount", topology === "stacked" ? controlPlaneCount : 3, 0, 15);
  const workerCount = r.int(raw.workerCount, "workerCount", 2, 0, 500);
  if (topology === "stacked" && raw.etcdCount !== undefined && etcdCount !== controlPlaneCount) {
    r.fail(
      "etcdCount",
      `stacked etcd runs one member per control plane, so etcdCount (${etcdCount}) must equal controlPlaneCount (${controlPlaneCount})`,
      "remove etcdCount, or set etcdTopology: external",
    );
  }
  return { controlPlaneCount, etcdCount, workerCount };
}

function readApiEndpoint(r: Reader, raw: Raw, provider: ProviderName | undefined, hosts: HostSpec[]): ApiEndpointConfig {
  const mode = r.oneOf(raw.apiEndpoint, "apiEndpoint", API_ENDPOINT_MODES, "nginx-proxy");
  const endpoint: ApiEndpointConfig = {
    mode,
    port: r.int(raw.apiPort, "apiPort", 6443, 1, 65535),
    vipImplementation: r.oneOf(raw.vipImplementation, "vipImplementation", VIP_IMPLEMENTATIONS, "keepalived"),
    vipInterface: r.string(raw.vipInterface, "vipInterface", "eth0"),
  };
  const vip = r.string(raw.vip, "vip");
  const external = r.string(raw.externalEndpoint, "externalEndpoint");
  if (mode === "vip") {
    if (!vip || !isIpv4(vip)) {
      r.fail(
        "vip",
        vip ? `'${vip}' is not an IPv4 address` : "apiEndpoint: vip needs the floating address",
        "set vip to a free IPv4 address on the control planes' network",
      );
    } else if (hosts.some((h) => h.privateIp === vip || h.address === vip)) {
      r.fail("vip", `${vip} is already a host's address`, "pick an unused address for the VIP");
    }
    if (provider === "aws" || provider === "digitalocean") {
      r.fail(
        "apiEndpoint",
        `a VIP needs L2 failover (gratuitous ARP), which ${provider} VPCs do not carry`,
        "use apiEndpoint: nginx-proxy or external",
      );
    }
    endpoint.address = vip;
  } else if (vip !== undefined) {
    r.fail("vip", `is only used with apiEndpoint: vip (apiEndpoint is '${mode}')`, "remove vip, or set apiEndpoint: vip");
  }
  if (mode === "external") {
    if (!external || !(isIpv4(external) || DNS_NAME.test(external))) {
      r.fail(
        "externalEndpoint",
        external ? `'${external}' is not an address or DNS name` : "apiEndpoint: external needs the load balancer's address",
        "set externalEndpoint to your LB's IP or DNS name (no port; see apiPort)",
      );
    }
    endpoint.address = external;
  } else if (external !== undefined) {
    r.fail(
      "externalEndpoint",
      `is only used with apiEndpoint: external (apiEndpoint is '${mode}')`,
      "remove externalEndpoint, or set apiEndpoint: external",
    );
  }
  return endpoint;
}

function readServiceLoadBalancer(
  r: Reader,
  value: unknown,
  provider: ProviderName | undefined,
  hosts: HostSpec[],
  workerCount: number,
): ServiceLoadBalancerConfig {
  const obj = r.object(value, "serviceLoadBalancer");
  const key = "serviceLoadBalancer";
  r.allowKeys(obj, key, ["enabled", "httpNodePort", "httpsNodePort", "image", "routes", "nodeCount", "dnsZone", "dnsName"]);
  const config: ServiceLoadBalancerConfig = {
    enabled: r.bool(obj.enabled, `${key}.enabled`, true),
    httpNodePort: r.int(obj.httpNodePort, `${key}.httpNodePort`, 30800, 30000, 32767),
    httpsNodePort: r.int(obj.httpsNodePort, `${key}.httpsNodePort`, 30443, 30000, 32767),
    image: r.string(obj.image, `${key}.image`, "docker.io/library/haproxy:3.2.4-alpine"),
    routes: readRoutes(r, obj.routes, `${key}.routes`),
    nodeCount: r.int(obj.nodeCount, `${key}.nodeCount`, 1, 0, 100),
    dnsZone: r.string(obj.dnsZone, `${key}.dnsZone`),
    dnsName: r.string(obj.dnsName, `${key}.dnsName`),
  };
  if (config.httpNodePort === config.httpsNodePort) {
    r.fail(`${key}.httpsNodePort`, `equals httpNodePort (${config.httpNodePort})`, "use two different NodePorts, e.g. 30800 and 30443");
  }
  if (config.enabled) {
    const lbNodes =
      provider === "baremetal" ? hosts.filter((h) => h.roles.includes("loadbalancer")).length : Math.min(config.nodeCount, workerCount);
    if (provider === "baremetal" && lbNodes === 0 && hosts.length > 0) {
      r.fail(
        key,
        "is enabled but no host has the loadbalancer role",
        "add 'loadbalancer' to some workers' roles, or set serviceLoadBalancer.enabled: false",
      );
    }
    if (provider !== "baremetal" && (config.nodeCount === 0 || config.nodeCount > workerCount)) {
      r.fail(
        `${key}.nodeCount`,
        `${config.nodeCount} load-balancer nodes cannot be taken from ${workerCount} workers`,
        "set nodeCount between 1 and workerCount, or disable serviceLoadBalancer",
      );
    }
  }
  if ((config.dnsZone === undefined) !== (config.dnsName === undefined)) {
    r.fail(`${key}.dnsZone`, "dnsZone and dnsName go together", "set both (e.g. dnsZone: example.com, dnsName: apps) or neither");
  }
  if (config.dnsZone && provider === "baremetal") {
    r.fail(
      `${key}.dnsZone`,
      "DNS records are managed only on digitalocean and aws",
      "remove dnsZone/dnsName and point your own DNS at the load-balancer hosts",
    );
  }
  return config;
}

function readRoutes(r: Reader, value: unknown, key: string): ServiceRoute[] {
  const routes: ServiceRoute[] = [];
  r.list(value, key).forEach((item, i) => {
    const k = `${key}[${i}]`;
    if (!isObject(item)) {
      r.fail(k, "expected a mapping with host, service and port", "e.g. {host: app.example.com, service: web, port: 80}");
      return;
    }
    r.allowKeys(item, k, ["host", "service", "namespace", "port", "tlsPort"]);
    const host = r.string(item.host, `${k}.host`) ?? "";
    if (!DNS_NAME.test(host)) r.fail(`${k}.host`, `'${host}' is not a DNS name`, "set the host name clients send");
    const service = r.string(item.service, `${k}.service`) ?? "";
    if (!DNS_LABEL.test(service)) r.fail(`${k}.service`, `'${service}' is not a Service name`, "name an in-cluster Service");
    routes.push({
      host,
      service,
      namespace: r.string(item.namespace, `${k}.namespace`, "default"),
      port: r.int(item.port, `${k}.port`, 80, 1, 65535),
      tlsPort: item.tlsPort === undefined ? undefined : r.int(item.tlsPort, `${k}.tlsPort`, 443, 1, 65535),
    });
  });
  const seen = new Set<string>();
  routes.forEach((route, i) => {
    if (seen.has(route.host)) r.fail(`${key}[${i}].host`, `${route.host} is routed twice`, "keep one route per host name");
    seen.add(route.host);
  });
  return routes;
}

function readArtifacts(r: Reader, value: unknown): ArtifactsConfig {
  const obj = r.object(value, "artifacts");
  r.allowKeys(obj, "artifacts", ["source", "dir", "kubernetesBaseUrl", "etcdVersion", "etcdBaseUrl", "images", "imageRepository"]);
  const source = r.oneOf(obj.source, "artifacts.source", ARTIFACT_SOURCES, "release");
  const dir = r.string(obj.dir, "artifacts.dir");
  if (source === "local" && !dir) {
    r.fail(
      "artifacts.dir",
      "artifacts.source: local needs a directory",
      "set artifacts.dir to the folder holding bin/ and images/ (relative to the project, or absolute)",
    );
  }
  const images = r.list(obj.images, "artifacts.images").map((item, i) => r.string(item, `artifacts.images[${i}]`) ?? "");
  return {
    source,
    dir,
    kubernetesBaseUrl: r.string(obj.kubernetesBaseUrl, "artifacts.kubernetesBaseUrl", "https://dl.k8s.io/release"),
    etcdVersion: r.string(obj.etcdVersion, "artifacts.etcdVersion", "3.5.21"),
    etcdBaseUrl: r.string(obj.etcdBaseUrl, "artifacts.etcdBaseUrl", "https://github.com/etcd-io/etcd/releases/download"),
    images,
    imageRepository: r.string(obj.imageRepository, "artifacts.imageRepository", "registry.k8s.io"),
  };
}

function durationMs(r: Reader, value: unknown, key: string, fallback: string): [string, number] {
  const text = r.string(value, key, fallback);
  const match = DURATION.exec(text);
  if (!match) {
    r.fail(key, `'${text}' is not a duration`, "write it like 15s, 500ms or 1m");
    return [fallback, durationMs(r, fallback, key, fallback)[1]];
  }
  const scale = { ms: 1, s: 1000, m: 60000 }[match[2] as "ms" | "s" | "m"];
  return [text, Number(match[1]) * scale];
}

function readLeaderElection(r: Reader, value: unknown): LeaderElectionConfig {
  const obj = r.object(value, "leaderElection");
  r.allowKeys(obj, "leaderElection", ["leaseDuration", "renewDeadline", "retryPeriod"]);
  const [leaseDuration, lease] = durationMs(r, obj.leaseDuration, "leaderElection.leaseDuration", "15s");
  const [renewDeadline, renew] = durationMs(r, obj.renewDeadline, "leaderElection.renewDeadline", "10s");
  const [retryPeriod, retry] = durationMs(r, obj.retryPeriod, "leaderElection.retryPeriod", "2s");
  // The same ordering kube-controller-manager enforces at start-up (retry is jittered by 1.2).
  if (!(lease > renew && renew > retry * 1.2)) {
    r.fail(
      "leaderElection",
      `needs leaseDuration > renewDeadline > 1.2 x retryPeriod (got ${leaseDuration}, ${renewDeadline}, ${retryPeriod})`,
      "e.g. 15s, 10s, 2s",
    );
  }
  return { leaseDuration, renewDeadline, retryPeriod };
}

function readPki(r: Reader, value: unknown): PkiConfig {
  const obj = r.object(value, "pki");
  r.allowKeys(obj, "pki", ["validityHours", "earlyRenewalHours"]);
  const validityHours = r.int(obj.validityHours, "pki.validityHours", 8760, 24);
  const earlyRenewalHours = r.int(obj.earlyRenewalHours, "pki.earlyRenewalHours", 720, 0);
  if (earlyRenewalHours >= validityHours) {
    r.fail(
      "pki.earlyRenewalHours",
      `(${earlyRenewalHours}) must be shorter than pki.validityHours (${validityHours})`,
      "renew a few weeks before expiry, e.g. 720",
    );
  }
  return { validityHours, earlyRenewalHours };
}

function readPreflight(r: Reader, value: unknown): string[] {
  if (value === undefined) return ["SystemVerification"];
  return r.list(value, "ignorePreflightErrors").map((item, i) => {
    const check = r.string(item, `ignorePreflightErrors[${i}]`) ?? "";
    if (!/^[A-Za-z0-9-]+$/.test(check)) {
      r.fail(
        `ignorePreflightErrors[${i}]`,
        `'${check}' is not a kubeadm preflight check name`,
        "use names kubeadm prints, e.g. SystemVerification, Swap, or all",
      );
    }
    return check;
  });
}

function readAdminCidrs(r: Reader, value: unknown, key: string): string[] {
  const list = value === undefined ? ["0.0.0.0/0"] : r.list(value, key).map((v, i) => r.string(v, `${key}[${i}]`) ?? "");
  list.forEach((cidr, i) => {
    if (!parseCidr(cidr)) r.fail(`${key}[${i}]`, `'${cidr}' is not an IPv4 CIDR`, "e.g. 203.0.113.0/24");
  });
  return list;
}

function readDigitalOcean(r: Reader, value: unknown): DigitalOceanConfig {
  const obj = r.object(value, "digitalocean");
  r.allowKeys(obj, "digitalocean", ["region", "size", "image", "vpcCidr", "project", "adminCidrs"]);
  const region = r.string(obj.region, "digitalocean.region") ?? "";
  if (!region) r.fail("digitalocean.region", "is required", "set digitalocean.region, e.g. fra1 or nyc3");
  return {
    region,
    size: r.string(obj.size, "digitalocean.size", "s-2vcpu-4gb"),
    image: r.string(obj.image, "digitalocean.image", "ubuntu-24-04-x64"),
    vpcCidr: r.string(obj.vpcCidr, "digitalocean.vpcCidr", "10.10.0.0/20"),
    project: r.string(obj.project, "digitalocean.project"),
    adminCidrs: readAdminCidrs(r, obj.adminCidrs, "digitalocean.adminCidrs"),
  };
}

function readAws(r: Reader, value: unknown): AwsConfig {
  const obj = r.object(value, "aws");
  r.allowKeys(obj, "aws", ["region", "instanceType", "ami", "azCount", "vpcCidr", "adminCidrs"]);
  const region = r.string(obj.region, "aws.region") ?? "";
  if (!region) r.fail("aws.region", "is required", "set aws.region, e.g. eu-central-1");
  return {
    region,
    instanceType: r.string(obj.instanceType, "aws.instanceType", "t3.medium"),
    ami: r.string(obj.ami, "aws.ami"),
    azCount: r.int(obj.azCount, "aws.azCount", 3, 1, 6),
    vpcCidr: r.string(obj.vpcCidr, "aws.vpcCidr", "10.0.0.0/16"),
    adminCidrs: readAdminCidrs(r, obj.adminCidrs, "aws.adminCidrs"),
  };
}

function checkNetworks(
  r: Reader,
  podText: string,
  serviceText: string,
  hosts: HostSpec[],
  api: ApiEndpointConfig,
  vpcText: string | undefined,
  counts: Counts,
): void {
  const pod = parseCidr(podText);
  const service = parseCidr(serviceText);
  if (!pod) r.fail("podCidr", `'${podText}' is not an IPv4 CIDR with its network address`, "e.g. 10.244.0.0/16");
  if (!service) r.fail("serviceCidr", `'${serviceText}' is not an IPv4 CIDR with its network address`, "e.g. 10.96.0.0/12");
  if (service && service.prefix < 12) {
    r.fail("serviceCidr", `/${service.prefix} is larger than kube-apiserver accepts (/12 at most)`, "use a /12 to /24, e.g. 10.96.0.0/12");
  }
  const nodes = counts.controlPlaneCount + counts.workerCount + (hosts.length ? 0 : counts.etcdCount);
  if (pod && pod.prefix > 24 - Math.ceil(Math.log2(Math.max(nodes, 1) + 1))) {
    r.fail("podCidr", `/${pod.prefix} leaves too few /24 node ranges for ${nodes} nodes`, "use a larger block, e.g. a /16");
  }
  if (pod && service && cidrsOverlap(pod, service)) {
    r.fail(
      "serviceCidr",
      `${serviceText} overlaps podCidr ${podText}`,
      "pick disjoint ranges, e.g. podCidr 10.244.0.0/16 and serviceCidr 10.96.0.0/12",
    );
  }
  const vpc = vpcText === undefined ? undefined : parseCidr(vpcText);
  if (vpcText !== undefined && !vpc) {
    r.fail("vpcCidr", `'${vpcText}' is not an IPv4 CIDR`, "e.g. 10.10.0.0/16");
  }
  for (const [name, block] of [
    ["podCidr", pod],
    ["serviceCidr", service],
  ] as const) {
    if (!block) continue;
    if (vpc && cidrsOverlap(vpc, block)) {
      r.fail(name, `${block.text} overlaps the VPC ${vpc.text}`, `move ${name} or the VPC range so they are disjoint`);
    }
    hosts.forEach((host, i) => {
      const ip = parseIpv4(host.privateIp);
      if (ip !== undefined && cidrContains(block, ip)) {
        r.fail(`hosts[${i}].privateIp`, `${host.privateIp} lies inside ${name} ${block.text}`, `move ${name} away from the hosts' network`);
      }
    });
    const vip = api.mode === "vip" && api.address ? parseIpv4(api.address) : undefined;
    if (vip !== undefined && cidrContains(block, vip)) {
      r.fail("vip", `${api.address} lies inside ${name} ${block.text}`, "use an address on the control planes' own network");
    }
  }
}
