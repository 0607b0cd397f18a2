import { spawnSync } from "child_process";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import {
  madeHostKey,
  ofType,
  plain,
  recorded,
  registeredOptions,
  resetRecorded,
  resolve,
  scannedHostKey,
  settle,
  setupMocks,
  isSecret,
  wasSecret,
} from "./harness";

setupMocks();

import { validateConfig } from "../../config/validate";
import { Raw } from "../../config/reader";
import { createInfrastructure } from "../../providers";
import { firewallRules } from "../../providers/firewall";
import { TEST_HOST_KEY } from "./hostKey";

const PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5 admin";
const KEY = pulumi.secret("-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n-----END OPENSSH PRIVATE KEY-----\n");

const BASTION_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEJhc3Rpb24ta2V5LWZvci10ZXN0cy0wMDAwMDAwMDA";

async function build(raw: Raw, readFile?: (path: string) => string | undefined) {
  resetRecorded();
  const config = validateConfig(raw, { sshPrivateKey: true, readFile });
  const infra = createInfrastructure("infra", config, KEY);
  await Promise.all(infra.nodes.map((n) => resolve(n.privateIp)));
  await settle();
  return { config, infra };
}

describe("bare metal", () => {
  const hosts = [
    { name: "cp-1", address: "10.77.0.11", roles: ["control-plane"], hostKey: TEST_HOST_KEY },
    { name: "cp-2", address: "10.77.0.12", roles: ["control-plane"], hostKey: TEST_HOST_KEY },
    { name: "cp-3", address: "10.77.0.13", roles: ["control-plane"], user: "admin", port: 2222, hostKey: TEST_HOST_KEY },
    {
      name: "w-1",
      address: "198.51.100.4",
      hostKey: TEST_HOST_KEY,
      privateIp: "10.77.0.14",
      roles: ["worker", "loadbalancer"],
      bastion: { host: "198.51.100.1", user: "jump", hostKey: BASTION_KEY },
    },
  ];

  it("creates no cloud resources and maps every host to a node", async () => {
    const { infra } = await build({ provider: "baremetal", hosts });
    expect(recorded.map((r) => r.type)).toEqual(["kubeadm-ha:providers:BareMetal"]);
    expect(infra.nodes.map((n) => [n.name, n.roles])).toEqual([
      ["cp-1", ["control-plane", "etcd"]],
      ["cp-2", ["control-plane", "etcd"]],
      ["cp-3", ["control-plane", "etcd"]],
      ["w-1", ["worker", "loadbalancer"]],
    ]);
    expect(infra.nodes.every((n) => n.ready.length === 0)).toBe(true);
  });

  it("honours per-host user/port and the bastion, with the key kept secret", async () => {
    const { infra } = await build({ provider: "baremetal", hosts });
    const cp3 = infra.nodes[2].connection;
    expect(await resolve(cp3.user)).toBe("admin");
    expect(await resolve(cp3.port)).toBe(2222);
    expect(cp3.proxy).toBeUndefined();
    const w1 = infra.nodes[3];
    expect(await resolve(w1.connection.host)).toBe("198.51.100.4");
    expect(await resolve(w1.privateIp)).toBe("10.77.0.14");
    const proxy = await resolve(w1.connection.proxy!);
    expect(proxy).toMatchObject({ host: "198.51.100.1", user: "jump", port: 22 });
    expect(await isSecret(w1.connection.privateKey!)).toBe(true);
  });

  it("pins each host's key, and the bastion's, on every connection", async () => {
    const cp2Key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGNwLTIta2V5LWZvci10ZXN0cy0wMDAwMDAwMDAwMDA";
    const { infra } = await build({
      provider: "baremetal",
      hosts: hosts.map((h) => (h.name === "cp-2" ? { ...h, hostKey: `${cp2Key} root@cp-2` } : h)),
    });
    const keys = await Promise.all(infra.nodes.map((n) => resolve(n.connection.hostKey!)));
    expect(keys).toEqual([TEST_HOST_KEY, cp2Key, TEST_HOST_KEY, TEST_HOST_KEY]);
    expect((await resolve(infra.nodes[3].connection.proxy!)).hostKey).toBe(BASTION_KEY);
  });

  it("takes keys from ssh.knownHostsFile (plain or [host]:port names) when the hosts list none", async () => {
    const bare = hosts.map(({ hostKey: _unused, ...h }) => h);
    const other = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG90aGVyLWtleS1mb3ItdGVzdHMtMDAwMDAwMDAwMDAw";
    const knownHosts = [
      `10.77.0.11,cp-1 ${TEST_HOST_KEY}`,
      `10.77.0.12 ${other}`,
      `[10.77.0.13]:2222 ${TEST_HOST_KEY} root@cp-3`,
      `10.77.0.13 ${other}`, // the same address on port 22 is another host
      `198.51.100.4 ${TEST_HOST_KEY}`,
      `198.51.100.1 ${BASTION_KEY}`,
    ].join("\n");
    const { infra } = await build({ provider: "baremetal", hosts: bare, ssh: { knownHostsFile: "kh" } }, () => knownHosts);
    const keys = await Promise.all(infra.nodes.map((n) => resolve(n.connection.hostKey!)));
    expect(keys).toEqual([TEST_HOST_KEY, other, TEST_HOST_KEY, TEST_HOST_KEY]);
    expect((await resolve(infra.nodes[3].connection.proxy!)).hostKey).toBe(BASTION_KEY);
    expect(() =>
      validateConfig({ provider: "baremetal", hosts: bare, ssh: { knownHostsFile: "kh" } }, { sshPrivateKey: true, readFile: () => "" }),
    ).toThrow(/hosts\[0\]\.hostKey: no SSH host key for cp-1 \(10\.77\.0\.11:22\)/);
  });

  it("under ssh.trustOnFirstUse, scans a host without a key once (the bastion once) and pins what it saw", async () => {
    const mixed = hosts.map((h, i) =>
      i === 0 ? h : { ...h, hostKey: undefined, bastion: h.bastion && { ...h.bastion, hostKey: undefined } },
    );
    const { infra } = await build({ provider: "baremetal", hosts: mixed, ssh: { trustOnFirstUse: true } });
    const scans = ofType("command:local:Command");
    expect(scans.map((s) => s.name).sort()).toEqual(
      ["infra-bastion-198-51-100-1-22-host-key", "infra-cp-2-host-key", "infra-cp-3-host-key", "infra-w-1-host-key"].sort(),
    );
    expect(await resolve(infra.nodes[0].connection.hostKey!)).toBe(TEST_HOST_KEY);
    expect(await resolve(infra.nodes[1].connection.hostKey!)).toBe(scannedHostKey("infra-cp-2-host-key"));
    expect((await resolve(infra.nodes[3].connection.proxy!)).hostKey).toBe(scannedHostKey("infra-bastion-198-51-100-1-22-host-key"));
    const w1 = scans.find((s) => s.name === "infra-w-1-host-key")!;
    expect(plain(w1.inputs.environment)).toMatchObject({
      KHA_SSH_MODE: "scan",
      KHA_HOST: "198.51.100.4",
      KHA_BASTION: "jump@198.51.100.1:22",
    });
    // the scan of a host behind the bastion holds the bastion to what its own scan saw
    expect(plain(w1.inputs.environment).KHA_BASTION_HOST_KEY).toBe(scannedHostKey("infra-bastion-198-51-100-1-22-host-key"));
    // an update repeats the recorded key instead of trusting a new one
    expect(w1.inputs.update).toContain("PULUMI_COMMAND_STDOUT");
    expect(JSON.stringify(plain(w1.inputs.environment))).not.toContain("PRIVATE KEY");
  });
});

describe("DigitalOcean", () => {
  const base = {
    provider: "digitalocean",
    ssh: { publicKey: PUBLIC_KEY },
    digitalocean: { region: "fra1", project: "k8s", adminCidrs: ["203.0.113.0/24"] },
  };

  it("creates key, VPC, one droplet per node with role tags, firewalls and a project", async () => {
    const { infra } = await build({ ...base, controlPlaneCount: 3, workerCount: 2 });
    expect(ofType("digitalocean:index/sshKey:SshKey")).toHaveLength(1);
    expect(ofType("digitalocean:index/vpc:Vpc")).toHaveLength(1);
    const droplets = ofType("digitalocean:index/droplet:Droplet");
    expect(droplets).toHaveLength(5);
    const cp1 = droplets.find((d) => d.inputs.name === "kubeadm-ha-cp-1")!;
    expect(cp1.inputs.tags).toEqual(["kubeadm-ha", "kubeadm-ha-control-plane", "kubeadm-ha-etcd"]);
    const w1 = droplets.find((d) => d.inputs.name === "kubeadm-ha-worker-1")!;
    expect(w1.inputs.tags).toEqual(["kubeadm-ha", "kubeadm-ha-worker", "kubeadm-ha-loadbalancer"]);
    expect(ofType("digitalocean:index/project:Project")[0].inputs.resources).toHaveLength(5);
    expect(infra.nodes[0].ready.length).toBeGreaterThan(1);
    expect(await resolve(infra.nodes[0].connection.host)).toMatch(/^203\.0\.113\./);
    expect(await resolve(infra.nodes[0].privateIp)).toMatch(/^10\.10\.0\./);
  });

  it("makes each droplet's host key, installs it through user data (a secret) and pins it", async () => {
    const { infra } = await build({ ...base, controlPlaneCount: 3, workerCount: 2 });
    expect(ofType("tls:index/privateKey:PrivateKey").filter((k) => k.inputs.algorithm === "ED25519")).toHaveLength(5);
    for (const [i, droplet] of ofType("digitalocean:index/droplet:Droplet").entries()) {
      const node = infra.nodes[i];
      const made = madeHostKey(`infra-${node.name}-host-key`);
      expect(await resolve(node.connection.hostKey!)).toBe(made);
      const userData = plain(droplet.inputs.userData) as string;
      expect(userData).toMatch(/^#cloud-config\n/);
      expect(userData).toContain(`ed25519_public: ${made}`);
      expect(userData).toContain("ssh_genkeytypes: []");
      expect(wasSecret(droplet.raw.userData)).toBe(true);
    }
  });

  it("keeps every droplet's image and SSH keys, protects control planes and etcd; rebuild lets go of the one named", async () => {
    await build({
      ...base,
      etcdTopology: "external",
      controlPlaneCount: 1,
      etcdCount: 3,
      workerCount: 1,
      machines: { rebuild: ["kubeadm-ha-etcd-3"] },
    });
    const names = ofType("digitalocean:index/droplet:Droplet").map((d) => d.name);
    expect(names).toHaveLength(5);
    for (const name of names) {
      const rebuilt = name.endsWith("etcd-3");
      expect([name, registeredOptions.get(name)]).toEqual([
        name,
        { ignoreChanges: rebuilt ? [] : ["image", "sshKeys"], protect: !rebuilt && !name.includes("worker") },
      ]);
    }
  });

  it("opens only what the topology needs", async () => {
    await build({ ...base, controlPlaneCount: 3, workerCount: 2 });
    const fws = ofType("digitalocean:index/firewall:Firewall");
    const byTag = Object.fromEntries(fws.map((f) => [f.inputs.tags[0], f.inputs.inboundRules]));
    const ports = (tag: string) => byTag[tag].map((r: any) => `${r.protocol}/${r.portRange}`).sort();
    expect(ports("kubeadm-ha")).toEqual(["tcp/10250", "tcp/22", "udp/4789"]);
    expect(ports("kubeadm-ha-control-plane")).toEqual(["tcp/6443"]);
    expect(ports("kubeadm-ha-etcd")).toEqual(["tcp/2379-2380"]);
    expect(byTag["kubeadm-ha-etcd"][0].sourceTags).toEqual(["kubeadm-ha-etcd"]);
    expect(ports("kubeadm-ha-loadbalancer")).toEqual(["tcp/30443", "tcp/30800"]);
    expect(byTag["kubeadm-ha-loadbalancer"][0].sourceAddresses).toEqual(["0.0.0.0/0"]);
    // workers get nothing beyond the cluster-wide rules
    expect(byTag["kubeadm-ha-worker"]).toBeUndefined();
  });

  it("lets control planes reach external etcd nodes", async () => {
    await build({ ...base, etcdTopology: "external", controlPlaneCount: 2, etcdCount: 3, workerCount: 1 });
    const etcdFw = ofType("digitalocean:index/firewall:Firewall").find((f) => f.inputs.tags[0] === "kubeadm-ha-etcd")!;
    expect(etcdFw.inputs.inboundRules[0].sourceTags).toEqual(["kubeadm-ha-etcd", "kubeadm-ha-control-plane"]);
    expect(ofType("digitalocean:index/droplet:Droplet").filter((d) => d.inputs.tags.includes("kubeadm-ha-etcd"))).toHaveLength(3);
  });

  it("drops the NodePort rule when the service load balancer is off", async () => {
    await build({ ...base, serviceLoadBalancer: { enabled: false } });
    const tags = ofType("digitalocean:index/firewall:Firewall").map((f) => f.inputs.tags[0]);
    expect(tags).not.toContain("kubeadm-ha-loadbalancer");
  });
});

describe("AWS", () => {
  const base = {
    provider: "aws",
    ssh: { publicKey: PUBLIC_KEY },
    aws: { region: "eu-central-1", azCount: 3, adminCidrs: ["203.0.113.0/24"] },
  };

  it("builds VPC, one subnet per AZ, IGW route, key pair, instances spread over AZs; no ELB, no NAT", async () => {
    const { infra } = await build({ ...base, controlPlaneCount: 3, workerCount: 3 });
    expect(ofType("aws:ec2/vpc:Vpc")).toHaveLength(1);
    const subnets = ofType("aws:ec2/subnet:Subnet");
    expect(subnets.map((s) => s.inputs.availabilityZone)).toEqual(["eu-central-1a", "eu-central-1b", "eu-central-1c"]);
    expect(subnets.map((s) => s.inputs.cidrBlock)).toEqual(["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"]);
    expect(ofType("aws:ec2/internetGateway:InternetGateway")).toHaveLength(1);
    expect(ofType("aws:ec2/routeTable:RouteTable")[0].inputs.routes[0].cidrBlock).toBe("0.0.0.0/0");
    expect(ofType("aws:ec2/routeTableAssociation:RouteTableAssociation")).toHaveLength(3);
    expect(ofType("aws:ec2/keyPair:KeyPair")[0].inputs.publicKey).toBe(PUBLIC_KEY);
    const instances = ofType("aws:ec2/instance:Instance");
    expect(instances).toHaveLength(6);
    expect(instances.every((i) => i.inputs.ami === "ami-0123456789abcdef0")).toBe(true);
    const cpSubnets = instances.filter((i) => i.inputs.tags.Name.includes("-cp-")).map((i) => i.inputs.subnetId);
    expect(new Set(cpSubnets).size).toBe(3);
    const forbidden = recorded.filter((r) => /natGateway|:lb\/|elb|loadBalancer:LoadBalancer/i.test(r.type));
    expect(forbidden).toEqual([]);
    expect(await resolve(infra.nodes[0].connection.user)).toBe("ubuntu");
  });

  it("makes each instance's host key, installs it through user data (IMDSv2, one hop) and pins it", async () => {
    const { infra } = await build({
      ...base,
      controlPlaneCount: 1,
      workerCount: 1,
      bastion: { host: "203.0.113.9", hostKey: BASTION_KEY },
    });
    const instances = ofType("aws:ec2/instance:Instance");
    for (const [i, instance] of instances.entries()) {
      const made = madeHostKey(`infra-${infra.nodes[i].name}-host-key`);
      expect(await resolve(infra.nodes[i].connection.hostKey!)).toBe(made);
      expect(plain(instance.inputs.userData)).toContain(`ed25519_public: ${made}`);
      expect(wasSecret(instance.raw.userData)).toBe(true);
      expect(instance.inputs.metadataOptions).toMatchObject({ httpTokens: "required", httpPutResponseHopLimit: 1 });
      // behind the bastion: the private address, the bastion's own key pinned
      expect(await resolve(infra.nodes[i].connection.proxy!)).toMatchObject({ host: "203.0.113.9", hostKey: BASTION_KEY });
    }
  });

  it("puts each role's rules on its security group", async () => {
    await build({ ...base, controlPlaneCount: 3, workerCount: 2 });
    const groups = ofType("aws:ec2/securityGroup:SecurityGroup");
    expect(groups.map((g) => g.inputs.tags.Name)).toEqual([
      "kubeadm-ha-all",
      "kubeadm-ha-control-plane",
      "kubeadm-ha-etcd",
      "kubeadm-ha-worker",
      "kubeadm-ha-loadbalancer",
    ]);
    const rules = ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    const etcd = rules.filter((r) => r.inputs.description === "etcd client and peer");
    expect(etcd).toHaveLength(1);
    expect([etcd[0].inputs.fromPort, etcd[0].inputs.toPort]).toEqual([2379, 2380]);
    const lb = rules.filter((r) => r.inputs.description.startsWith("service load balancer"));
    expect(lb.map((r) => r.inputs.fromPort).sort()).toEqual([30443, 30800]);
    expect(lb.every((r) => r.inputs.cidrIpv4 === "0.0.0.0/0")).toBe(true);
    const instances = ofType("aws:ec2/instance:Instance");
    const worker1 = instances.find((i) => i.inputs.tags.Name === "kubeadm-ha-worker-1")!;
    expect(worker1.inputs.vpcSecurityGroupIds).toHaveLength(3); // all + worker + loadbalancer
  });

  it("keeps every instance's AMI and key pair, protects control planes; rebuild lets go of the one named", async () => {
    await build({ ...base, controlPlaneCount: 3, workerCount: 1 });
    const names = ofType("aws:ec2/instance:Instance")
      .map((i) => i.name)
      .sort();
    expect(names).toEqual(["infra-kubeadm-ha-cp-1", "infra-kubeadm-ha-cp-2", "infra-kubeadm-ha-cp-3", "infra-kubeadm-ha-worker-1"]);
    for (const name of names) {
      expect(registeredOptions.get(name)).toEqual({ ignoreChanges: ["ami", "keyName"], protect: !name.includes("worker") });
    }
    await build({ ...base, controlPlaneCount: 3, workerCount: 1, machines: { rebuild: ["kubeadm-ha-cp-2"] } });
    expect(registeredOptions.get("infra-kubeadm-ha-cp-2")).toEqual({ ignoreChanges: [], protect: false });
    expect(registeredOptions.get("infra-kubeadm-ha-cp-1")).toEqual({ ignoreChanges: ["ami", "keyName"], protect: true });
  });

  it("uses an explicit AMI when configured", async () => {
    await build({ ...base, aws: { region: "eu-central-1", ami: "ami-0fixed", adminCidrs: ["203.0.113.0/24"] } });
    expect(ofType("aws:ec2/instance:Instance").every((i) => i.inputs.ami === "ami-0fixed")).toBe(true);
  });
});

describe("firewall rules (pure)", () => {
  it("opens the pod CIDR for the bridge CNI and VXLAN for flannel", () => {
    const hosts = [{ name: "cp-1", address: "10.77.0.11", roles: ["control-plane", "worker", "loadbalancer"], hostKey: TEST_HOST_KEY }];
    const bridge = firewallRules(validateConfig({ provider: "baremetal", cni: "bridge", hosts }, { sshPrivateKey: true }), ["0.0.0.0/0"]);
    expect(bridge.filter((r) => r.description.startsWith("pod network")).map((r) => r.fromCidrs)).toEqual([
      ["10.244.0.0/16"],
      ["10.244.0.0/16"],
    ]);
    const flannel = firewallRules(validateConfig({ provider: "baremetal", cni: "flannel", hosts }, { sshPrivateKey: true }), []);
    expect(flannel.find((r) => r.description === "flannel vxlan")?.ports).toBe("8472");
  });
});

describe("loading", () => {
  it("a bare-metal program never loads the cloud providers' SDKs (@pulumi/aws alone takes 0.15-0.2 s, on every run)", () => {
    const root = path.join(__dirname, "..", "..");
    const script = [
      'require("ts-node").register({ transpileOnly: true });',
      'require("./providers");',
      'require("./providers/dns");',
      'require("./components/cluster");',
      "const loaded = Object.keys(require.cache).filter((f) => /node_modules[\\\\/]@pulumi[\\\\/](aws|digitalocean)[\\\\/]/.test(f));",
      "console.log(JSON.stringify([...new Set(loaded.map((f) => f.split(/@pulumi[\\\\/]/)[1].split(/[\\\\/]/)[0]))]));",
    ].join("\n");
    const run = spawnSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8" });
    expect(run.stderr).toBe("");
    // (digitalocean's SDK is small and dns.ts names its record type statically)
    expect(JSON.parse(run.stdout)).not.toContain("aws");
  });
});
