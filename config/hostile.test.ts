// Property test: every string key of the stack config, fed hostile values (newlines, quotes, `$()`,
// backticks, spaces, NUL, very long), is refused by validation naming that key, before any
// resource exists. A value of a key whose kind allows it (spaces inside an SSH public key line) may
// pass, but never with a character that could end a quoted string or start a command.

import fc from "fast-check";
import { ConfigError, Raw } from "./reader";
import { validateConfig } from "./validate";
import { TEST_HOST_KEY } from "../test/unit/hostKey";

const HOSTS = [
  { name: "cp-1", address: "10.77.0.11", roles: ["control-plane"], hostKey: TEST_HOST_KEY },
  { name: "cp-2", address: "10.77.0.12", roles: ["control-plane"], hostKey: TEST_HOST_KEY },
  { name: "cp-3", address: "10.77.0.13", roles: ["control-plane"], hostKey: TEST_HOST_KEY },
  { name: "w-1", address: "10.77.0.14", roles: ["worker", "loadbalancer"], hostKey: TEST_HOST_KEY },
];
const PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDx0a8S7 ops@example";

function bareMetal(): Raw {
  return {
    provider: "baremetal",
    hosts: structuredClone(HOSTS),
    bastion: { host: "bastion.example.com", user: "jump", hostKey: TEST_HOST_KEY },
    ssh: { user: "root", privateKeyFile: "keys/id_ed25519" },
    artifacts: { source: "local", dir: "artifacts", images: ["images/extra.tar"] },
    serviceLoadBalancer: { routes: [{ host: "app.example.com", service: "web", namespace: "apps", port: 80 }] },
    leaderElection: { leaseDuration: "15s", renewDeadline: "10s", retryPeriod: "2s" },
    ignorePreflightErrors: ["SystemVerification"],
  };
}
const vipMode = (): Raw => ({ ...bareMetal(), apiEndpoint: "vip", vip: "10.77.0.100", vipInterface: "eth0" });
const externalMode = (): Raw => ({ ...bareMetal(), apiEndpoint: "external", externalEndpoint: "api.example.com" });
const digitalocean = (): Raw => ({
  provider: "digitalocean",
  ssh: { publicKey: PUBLIC_KEY },
  digitalocean: { region: "fra1", size: "s-2vcpu-4gb", image: "ubuntu-24-04-x64", project: "team", adminCidrs: ["203.0.113.0/24"] },
  serviceLoadBalancer: { dnsZone: "example.com", dnsName: "apps" },
});
const aws = (): Raw => ({
  provider: "aws",
  ssh: { publicKey: PUBLIC_KEY },
  aws: { region: "eu-central-1", instanceType: "t3.medium", ami: "ami-0123456789abcdef0", adminCidrs: ["203.0.113.0/24"] },
});

/** Every string key, with a config in which it is read. */
const KEYS: [string, () => Raw][] = [
  ["provider", bareMetal],
  ["clusterName", bareMetal],
  ["etcdTopology", bareMetal],
  ["kubernetesVersion", bareMetal],
  ["podCidr", bareMetal],
  ["serviceCidr", bareMetal],
  ["apiEndpoint", bareMetal],
  ["vip", vipMode],
  ["vipImplementation", vipMode],
  ["vipInterface", vipMode],
  ["externalEndpoint", externalMode],
  ["cni", bareMetal],
  ["stopAfter", bareMetal],
  ["apiserverProxyImage", bareMetal],
  ["hosts[0].name", bareMetal],
  ["hosts[0].address", bareMetal],
  ["hosts[0].privateIp", bareMetal],
  ["hosts[0].user", bareMetal],
  ["hosts[0].roles[0]", bareMetal],
  ["hosts[0].hostKey", bareMetal],
  ["bastion.host", bareMetal],
  ["bastion.user", bareMetal],
  ["bastion.hostKey", bareMetal],
  ["ssh.user", bareMetal],
  ["ssh.privateKeyFile", bareMetal],
  ["ssh.knownHostsFile", bareMetal],
  ["ssh.publicKey", digitalocean],
  ["artifacts.source", bareMetal],
  ["artifacts.dir", bareMetal],
  ["artifacts.images[0]", bareMetal],
  ["artifacts.kubernetesBaseUrl", bareMetal],
  ["artifacts.etcdVersion", bareMetal],
  ["artifacts.etcdBaseUrl", bareMetal],
  ["artifacts.imageRepository", bareMetal],
  ["serviceLoadBalancer.image", bareMetal],
  ["serviceLoadBalancer.routes[0].host", bareMetal],
  ["serviceLoadBalancer.routes[0].service", bareMetal],
  ["serviceLoadBalancer.routes[0].namespace", bareMetal],
  ["serviceLoadBalancer.dnsZone", digitalocean],
  ["serviceLoadBalancer.dnsName", digitalocean],
  ["leaderElection.leaseDuration", bareMetal],
  ["leaderElection.renewDeadline", bareMetal],
  ["leaderElection.retryPeriod", bareMetal],
  ["ignorePreflightErrors[0]", bareMetal],
  // not string keys, but a string is what `pulumi config set` gives them: refused unless it is a
  // boolean or a whole number
  ["ssh.trustOnFirstUse", bareMetal],
  ["hardening.kubeletServingCerts", digitalocean],
  ["hardening.secretsEncryption", digitalocean],
  ["hardening.auditLog", digitalocean],
  ["hardening.anonymousAuthHealthOnly", digitalocean],
  ["hardening.auditLogMaxAgeDays", digitalocean],
  ["hardening.auditLogMaxBackups", digitalocean],
  ["hardening.auditLogMaxSizeMb", digitalocean],
  ["digitalocean.region", digitalocean],
  ["digitalocean.size", digitalocean],
  ["digitalocean.image", digitalocean],
  ["digitalocean.vpcCidr", digitalocean],
  ["digitalocean.project", digitalocean],
  ["digitalocean.adminCidrs[0]", digitalocean],
  ["aws.region", aws],
  ["aws.instanceType", aws],
  ["aws.ami", aws],
  ["aws.vpcCidr", aws],
  ["aws.adminCidrs[0]", aws],
];

/** Sets a.b[0].c in a config object. */
function setPath(raw: Raw, path: string, value: string): Raw {
  const parts = path.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== "");
  let node: Record<string, unknown> | unknown[] = raw;
  parts.forEach((part, i) => {
    const key = /^\d+$/.test(part) ? Number(part) : part;
    const container = node as Record<string | number, unknown>;
    if (i === parts.length - 1) container[key] = value;
    else {
      if (container[key] === undefined) container[key] = /^\d+$/.test(parts[i + 1]) ? [] : {};
      node = container[key] as Record<string, unknown>;
    }
  });
  return raw;
}

/** The key names validation reports for a config (or none when it passes). */
function refusedKeys(raw: Raw): string[] | undefined {
  try {
    const ssh = (raw.ssh ?? {}) as Raw;
    validateConfig(raw, { sshPrivateKey: ssh.privateKeyFile === undefined });
    return undefined;
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => i.key);
    throw e;
  }
}

const FRAGMENTS = ["\n", "\r\n", "'", '"', "$(id)", "`id`", " ", "\0", ";rm -rf /", "${IFS}", "\\", "|", "&", ">", "\t", "\u2028"];
/** a plausible value with something hostile inside it */
const hostile = fc
  .tuple(
    fc.constantFrom("10.0.0.1", "web", "nginx:1.29", "eth0", "ops", "https://example.com/x", "1.34.1", "fra1", "15s"),
    fc.constantFrom(...FRAGMENTS),
    fc.string({ maxLength: 12 }),
    fc.boolean(),
  )
  .map(([base, bad, tail, front]) => (front ? `${bad}${base}${tail}` : `${base}${bad}${tail}`));
// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const DANGEROUS = /[\u0000-\u001f\u007f'"`$\\;|&<>\u2028\u2029]/;

describe("every string key refuses hostile values before any resource exists", () => {
  it("the base configs validate (so a refusal is the hostile value's doing)", () => {
    for (const make of [bareMetal, vipMode, externalMode, digitalocean, aws]) expect(refusedKeys(make())).toBeUndefined();
  });

  it.each(KEYS)("%s", (key, make) => {
    fc.assert(
      fc.property(hostile, (value) => {
        const refused = refusedKeys(setPath(make(), key, value));
        if (refused) return refused.includes(key);
        // accepted: only where the key's kind allows the character, and never a dangerous one
        return key === "ssh.publicKey" && !DANGEROUS.test(value);
      }),
      { numRuns: 60 },
    );
  });

  it("refuses very long values", () => {
    for (const [key, make] of KEYS) expect(refusedKeys(setPath(make(), key, "a".repeat(5000)))).toContain(key);
  });

  it("refuses values that pass as names but are broken addresses or versions", () => {
    expect(refusedKeys(setPath(bareMetal(), "hosts[0].address", "1.2.3.999"))).toContain("hosts[0].address");
    expect(refusedKeys({ ...bareMetal(), kubernetesVersion: "1.34.01" })).toContain("kubernetesVersion");
    expect(refusedKeys(setPath(bareMetal(), "artifacts.etcdVersion", "3.5.021"))).toContain("artifacts.etcdVersion");
    expect(refusedKeys({ ...bareMetal(), serviceCidr: "10.96.0.0/30" })).toContain("serviceCidr");
    expect(refusedKeys({ ...bareMetal(), serviceCidr: "10.96.0.0/32" })).toContain("serviceCidr");
    expect(refusedKeys({ ...bareMetal(), serviceCidr: "10.96.0.0/28" })).toBeUndefined();
  });
});
