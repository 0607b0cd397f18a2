import * as pulumi from "@pulumi/pulumi";
import { ofType, recorded, resetRecorded, resolve, settle, setupMocks, isSecret } from "./harness";

setupMocks();

import { validateConfig } from "../../config/validate";
import { Raw } from "../../config/reader";
import { createInfrastructure } from "../../providers";
import { firewallRules } from "../../providers/firewall";

const PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5 admin";
const KEY = pulumi.secret("-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n-----END OPENSSH PRIVATE KEY-----\n");

async function build(raw: Raw) {
  resetRecorded();
  const config = validateConfig(raw, { sshPrivateKey: true });
  const infra = createInfrastructure("infra", config, KEY);
  await Promise.all(infra.nodes.map((n) => resolve(n.privateIp)));
  await settle();
  return { config, infra };
}

describe("bare metal", () => {
  const hosts = [
    { name: "cp-1", address: "10.77.0.11", roles: ["control-plane"] },
    { name: "cp-2", address: "10.77.0.12", roles: ["control-plane"] },
    { name: "cp-3", address: "10.77.0.13", roles: ["control-plane"], user: "admin", port: 2222 },
    {
      name: "w-1",
      address: "198.51.100.4",
      privateIp: "10.77.0.14",
      roles: ["worker", "loadbalancer"],
      bastion: { host: "198.51.100.1", user: "jump" },
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

  it("uses an explicit AMI when configured", async () => {
    await build({ ...base, aws: { region: "eu-central-1", ami: "ami-0fixed", adminCidrs: ["203.0.113.0/24"] } });
    expect(ofType("aws:ec2/instance:Instance").every((i) => i.inputs.ami === "ami-0fixed")).toBe(true);
  });
});

describe("firewall rules (pure)", () => {
  it("opens the pod CIDR for the bridge CNI and VXLAN for flannel", () => {
    const hosts = [{ name: "cp-1", address: "10.77.0.11", roles: ["control-plane", "worker", "loadbalancer"] }];
    const bridge = firewallRules(validateConfig({ provider: "baremetal", cni: "bridge", hosts }, { sshPrivateKey: true }), ["0.0.0.0/0"]);
    expect(bridge.filter((r) => r.description.startsWith("pod network")).map((r) => r.fromCidrs)).toEqual([
      ["10.244.0.0/16"],
      ["10.244.0.0/16"],
    ]);
    const flannel = firewallRules(validateConfig({ provider: "baremetal", cni: "flannel", hosts }, { sshPrivateKey: true }), []);
    expect(flannel.find((r) => r.description === "flannel vxlan")?.ports).toBe("8472");
  });
});
