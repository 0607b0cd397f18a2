// The machines: SSH access (user, keys, bastion), bare-metal hosts and their roles, and the node
// counts every provider plans from.

import { isIpv4 } from "../cidr";
import { isObject, Raw, Reader } from "../reader";
import { HostSpec, NODE_ROLES, NodeRole, ProviderName, SshConfig, SshEndpoint } from "../types";
import { DNS_LABEL, KINDS } from "./patterns";
import { knownHostsLookup, normalizeHostKey } from "../hostKeys";

/**
 * What the validator needs from outside the config: whether the secret key exists (never its
 * value), and a way to read ssh.knownHostsFile (the loader passes one; tests pass content).
 */
export interface SecretPresence {
  sshPrivateKey: boolean;
  /** reads a file on the machine running Pulumi; undefined when it cannot */
  readFile?: (path: string) => string | undefined;
}

/** An OpenSSH public key as `type base64` (the comment dropped), or undefined after reporting it. */
function readHostKey(r: Reader, value: unknown, key: string): string | undefined {
  const text = r.text(value, key, KINDS.sshPublicKey);
  return text === undefined ? undefined : normalizeHostKey(text);
}

export function readEndpoint(r: Reader, value: unknown, key: string, defaultUser: string): SshEndpoint | undefined {
  const obj = r.object(value, key);
  r.allowKeys(obj, key, ["host", "user", "port", "hostKey"]);
  const host = r.text(obj.host, `${key}.host`, KINDS.host);
  if (!host) {
    r.fail(`${key}.host`, "is required", `set ${key}.host to the bastion's address`);
    return undefined;
  }
  return {
    host,
    user: r.text(obj.user, `${key}.user`, KINDS.user, defaultUser),
    port: r.int(obj.port, `${key}.port`, 22, 1, 65535),
    hostKey: readHostKey(r, obj.hostKey, `${key}.hostKey`),
  };
}

export function readSsh(
  r: Reader,
  value: unknown,
  provider: ProviderName | undefined,
  bastion: SshEndpoint | undefined,
  secrets: SecretPresence,
): SshConfig {
  const obj = r.object(value, "ssh");
  r.allowKeys(obj, "ssh", ["user", "port", "privateKeyFile", "publicKey", "knownHostsFile", "trustOnFirstUse", "dialErrorLimit"]);
  const ssh: SshConfig = {
    user: r.text(obj.user, "ssh.user", KINDS.user, provider === "aws" ? "ubuntu" : "root"),
    port: r.int(obj.port, "ssh.port", 22, 1, 65535),
    privateKeyFile: r.text(obj.privateKeyFile, "ssh.privateKeyFile", KINDS.path),
    publicKey: r.text(obj.publicKey, "ssh.publicKey", KINDS.sshPublicKey),
    bastion,
    knownHostsFile: r.text(obj.knownHostsFile, "ssh.knownHostsFile", KINDS.path),
    trustOnFirstUse: r.bool(obj.trustOnFirstUse, "ssh.trustOnFirstUse", false),
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

export function readHosts(r: Reader, value: unknown, ssh: SshConfig, topology: string): HostSpec[] {
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
    r.allowKeys(item, key, ["name", "address", "privateIp", "roles", "user", "port", "bastion", "hostKey"]);
    const name = r.string(item.name, `${key}.name`) ?? "";
    if (!DNS_LABEL.test(name)) {
      r.fail(`${key}.name`, `'${name}' is not a valid node name`, "use a DNS label: lower-case letters, digits, '-'");
    }
    const address = r.string(item.address, `${key}.address`) ?? "";
    if (!KINDS.host.test(address)) {
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
      user: r.text(item.user, `${key}.user`, KINDS.user, ssh.user),
      port: r.int(item.port, `${key}.port`, ssh.port, 1, 65535),
      bastion,
      hostKey: readHostKey(r, item.hostKey, `${key}.hostKey`),
    });
  });
  reportDuplicates(r, hosts, (h) => h.name, "name", "give every host a unique name");
  reportDuplicates(r, hosts, (h) => `${h.address}:${h.port}`, "address", "every host needs its own SSH address (or port)");
  reportDuplicates(r, hosts, (h) => h.privateIp, "privateIp", "every host needs its own private IP");
  return hosts;
}

export function readRoles(r: Reader, value: unknown, key: string): NodeRole[] {
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

export function reportDuplicates(r: Reader, hosts: HostSpec[], pick: (h: HostSpec) => string, what: string, fix: string): void {
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

export interface Counts {
  controlPlaneCount: number;
  etcdCount: number;
  workerCount: number;
}

export function readCounts(r: Reader, raw: Raw, provider: ProviderName | undefined, topology: string, hosts: HostSpec[]): Counts {
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

/**
 * Pins every SSH endpoint's host key: the one given in config, else ssh.knownHostsFile's. An
 * endpoint left without one is refused, since its first connection would send the cluster's keys
 * to whoever answers, unless ssh.trustOnFirstUse accepts that (bare metal: the key seen first is
 * then pinned in state). Cloud machines get keys the program makes, so only a bastion needs one.
 */
export function pinHostKeys(r: Reader, hosts: HostSpec[], ssh: SshConfig, facts: SecretPresence): void {
  let lookup: (host: string, port: number) => string | undefined = () => undefined;
  if (ssh.knownHostsFile) {
    const content = facts.readFile?.(ssh.knownHostsFile);
    if (content === undefined) {
      r.fail("ssh.knownHostsFile", `cannot read ${ssh.knownHostsFile}`, "point it at a readable known_hosts file, or remove it");
    } else {
      lookup = knownHostsLookup(content);
    }
  }
  const pin = (endpoint: { hostKey?: string }, host: string, port: number, key: string, what: string) => {
    endpoint.hostKey ??= lookup(host, port);
    if (endpoint.hostKey || ssh.trustOnFirstUse) return;
    r.fail(
      `${key}.hostKey`,
      `no SSH host key for ${what} (${host}:${port}): the first connection would trust whoever answers`,
      `set ${key}.hostKey to the host's public key (on the host: cat /etc/ssh/ssh_host_ed25519_key.pub), ` +
        "or list it in ssh.knownHostsFile, or accept the risk with ssh.trustOnFirstUse: true",
    );
  };
  const bastionsSeen = new Set<SshEndpoint>();
  if (ssh.bastion) {
    pin(ssh.bastion, ssh.bastion.host, ssh.bastion.port, "bastion", "the bastion");
    bastionsSeen.add(ssh.bastion);
  }
  hosts.forEach((host, i) => {
    if (host.bastion && !bastionsSeen.has(host.bastion)) {
      pin(host.bastion, host.bastion.host, host.bastion.port, `hosts[${i}].bastion`, `the bastion of ${host.name}`);
      bastionsSeen.add(host.bastion);
    }
    pin(host, host.address, host.port, `hosts[${i}]`, host.name);
  });
}
