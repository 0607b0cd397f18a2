import { ConfigError, Raw } from "./reader";
import { validateConfig } from "./validate";
import { planNodes } from "./plan";
import { pkiWarnings } from "./validators/cluster";
import { TEST_HOST_KEY } from "../test/unit/hostKey";

const KEY = { sshPrivateKey: true };

function labHosts(): Raw[] {
  return [
    { name: "cp-1", address: "10.77.0.11", roles: ["control-plane"], hostKey: TEST_HOST_KEY },
    { name: "cp-2", address: "10.77.0.12", roles: ["control-plane"], hostKey: TEST_HOST_KEY },
    { name: "cp-3", address: "10.77.0.13", roles: ["control-plane"], hostKey: TEST_HOST_KEY },
    { name: "worker-1", address: "10.77.0.14", roles: ["worker", "loadbalancer"], hostKey: TEST_HOST_KEY },
    { name: "worker-2", address: "10.77.0.15", roles: ["worker"], hostKey: TEST_HOST_KEY },
  ];
}

function bareMetal(extra: Raw = {}): Raw {
  return { provider: "baremetal", hosts: labHosts(), ...extra };
}

const PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5 admin";

function cloud(provider: "digitalocean" | "aws", extra: Raw = {}): Raw {
  return {
    provider,
    ssh: { publicKey: PUBLIC_KEY },
    [provider]: { region: provider === "aws" ? "eu-central-1" : "fra1", adminCidrs: ["203.0.113.0/24"] },
    ...extra,
  };
}

function issuesOf(raw: Raw, secrets = KEY): { key: string; message: string; fix: string }[] {
  try {
    validateConfig(raw, secrets);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  return [];
}

describe("valid configs", () => {
  it("accepts any mix of roles on bare metal: etcd on a worker, a control plane that runs workloads", () => {
    const hosts = [
      { name: "cp-1", address: "10.77.0.11", roles: ["control-plane", "worker"], hostKey: TEST_HOST_KEY },
      { name: "cp-2", address: "10.77.0.12", roles: ["control-plane", "worker", "loadbalancer"], hostKey: TEST_HOST_KEY },
      { name: "w-1", address: "10.77.0.14", roles: ["worker", "etcd"], hostKey: TEST_HOST_KEY },
    ];
    const stacked = validateConfig({ provider: "baremetal", hosts }, KEY);
    expect(stacked.hosts.map((h) => h.roles)).toEqual([
      ["control-plane", "worker", "etcd"],
      ["control-plane", "worker", "loadbalancer", "etcd"],
      ["worker", "etcd"],
    ]);
    expect(stacked.etcdCount).toBe(3);
    // external: only the hosts that say etcd, a control plane among them if it says so
    const externalHosts = [
      { ...hosts[0], roles: ["control-plane", "worker", "etcd"] },
      hosts[1],
      hosts[2],
      { name: "e-1", address: "10.77.0.20", roles: ["etcd"], hostKey: TEST_HOST_KEY },
    ];
    const external = validateConfig({ provider: "baremetal", etcdTopology: "external", hosts: externalHosts }, KEY);
    expect(external.hosts.filter((h) => h.roles.includes("etcd")).map((h) => h.name)).toEqual(["cp-1", "w-1", "e-1"]);
    // the count stays odd whatever carries it
    expect(() => validateConfig({ provider: "baremetal", etcdTopology: "external", hosts: externalHosts.slice(0, 3) }, KEY)).toThrow(
      /2-member etcd cluster is refused/,
    );
  });

  it("accepts a renewal window as long as the certificates live (a renewal drill), with a warning", () => {
    const config = validateConfig(bareMetal({ pki: { validityHours: 100, earlyRenewalHours: 200 } }), { sshPrivateKey: true });
    expect(config.pki).toEqual({ validityHours: 100, earlyRenewalHours: 200 });
    expect(pkiWarnings(config.pki)).toEqual([expect.stringContaining("every pulumi up renews every certificate")]);
    expect(pkiWarnings(validateConfig(bareMetal(), { sshPrivateKey: true }).pki)).toEqual([]);
  });

  it("accepts the lab's bare-metal stack and derives counts from roles", () => {
    const config = validateConfig(bareMetal(), KEY);
    expect(config.controlPlaneCount).toBe(3);
    expect(config.etcdCount).toBe(3);
    expect(config.workerCount).toBe(2);
    // stacked etcd: every control plane carries the etcd role
    expect(config.hosts.filter((h) => h.roles.includes("etcd")).map((h) => h.name)).toEqual(["cp-1", "cp-2", "cp-3"]);
    expect(config.apiEndpoint.mode).toBe("nginx-proxy");
    expect(config.kubernetesVersion).toBe("1.34.1");
  });

  it("accepts an external-etcd bare-metal stack", () => {
    const hosts = [
      ...["e-1", "e-2", "e-3"].map((name, i) => ({ name, address: `10.77.0.2${i}`, roles: ["etcd"], hostKey: TEST_HOST_KEY })),
      { name: "cp-1", address: "10.77.0.11", roles: ["control-plane"], hostKey: TEST_HOST_KEY },
      { name: "cp-2", address: "10.77.0.12", roles: ["control-plane"], hostKey: TEST_HOST_KEY },
      { name: "w-1", address: "10.77.0.14", roles: ["worker", "loadbalancer"], hostKey: TEST_HOST_KEY },
    ];
    const config = validateConfig({ provider: "baremetal", etcdTopology: "external", hosts }, KEY);
    expect(config.etcdCount).toBe(3);
    expect(config.controlPlaneCount).toBe(2);
  });

  it("reads numbers given as strings by `pulumi config set`", () => {
    const config = validateConfig(cloud("aws", { controlPlaneCount: "5", workerCount: "4" }), KEY);
    expect(config.controlPlaneCount).toBe(5);
    expect(config.etcdCount).toBe(5);
    expect(planNodes(config).filter((n) => n.roles.includes("loadbalancer"))).toHaveLength(1);
  });

  it("plans external etcd nodes on clouds", () => {
    const config = validateConfig(
      cloud("digitalocean", { etcdTopology: "external", controlPlaneCount: 2, etcdCount: 3, workerCount: 1 }),
      KEY,
    );
    const plans = planNodes(config);
    expect(plans.map((p) => p.name)).toEqual([
      "kubeadm-ha-cp-1",
      "kubeadm-ha-cp-2",
      "kubeadm-ha-etcd-1",
      "kubeadm-ha-etcd-2",
      "kubeadm-ha-etcd-3",
      "kubeadm-ha-worker-1",
    ]);
    expect(plans.filter((p) => p.roles.includes("etcd")).every((p) => !p.roles.includes("control-plane"))).toBe(true);
  });
});

describe("machines (cloud VM guards)", () => {
  it("protects by default and rebuilds nothing", () => {
    expect(validateConfig(cloud("aws"), KEY).machines).toEqual({ protect: true, rebuild: [] });
  });

  it("rebuilds one control plane, or any number of workers, at a time", () => {
    const one = validateConfig(
      cloud("aws", { workerCount: 3, machines: { rebuild: ["kubeadm-ha-cp-2", "kubeadm-ha-worker-1", "kubeadm-ha-worker-3"] } }),
      KEY,
    );
    expect(one.machines.rebuild).toEqual(["kubeadm-ha-cp-2", "kubeadm-ha-worker-1", "kubeadm-ha-worker-3"]);
    expect(validateConfig(cloud("digitalocean", { machines: { protect: false } }), KEY).machines.protect).toBe(false);
  });
});

// Each bad config must be refused with an issue on the named key whose text explains it.
const BAD: [string, Raw, string, RegExp][] = [
  ["unknown provider", bareMetal({ provider: "gcp" }), "provider", /'gcp' is not supported/],
  ["missing provider", { hosts: labHosts() }, "provider", /is required/],
  [
    "2-member etcd (stacked)",
    bareMetal({ hosts: labHosts().filter((h) => h.name !== "cp-3") }),
    "controlPlaneCount",
    /2-member etcd cluster is refused/,
  ],
  ["2-member etcd (external, cloud)", cloud("aws", { etcdTopology: "external", etcdCount: 2 }), "etcdCount", /2-member/],
  ["even etcd size", cloud("aws", { etcdTopology: "external", etcdCount: 4 }), "etcdCount", /tolerate 1 failure/],
  ["even stacked size", cloud("digitalocean", { controlPlaneCount: 4 }), "controlPlaneCount", /4 etcd members/],
  ["too many etcd members", cloud("aws", { etcdTopology: "external", etcdCount: 9 }), "etcdCount", /at most 7/],
  ["0 control planes", cloud("aws", { controlPlaneCount: 0 }), "controlPlaneCount", /at least one control plane/],
  ["external topology without etcd nodes", bareMetal({ etcdTopology: "external" }), "etcdCount", /dedicated etcd nodes/],
  ["stacked etcdCount differing from control planes", cloud("aws", { etcdCount: 5 }), "etcdCount", /must equal controlPlaneCount/],
  ["machines on bare metal", bareMetal({ machines: { protect: false } }), "machines", /guards cloud VMs/],
  [
    "rebuilding a VM that does not exist",
    cloud("aws", { machines: { rebuild: ["kubeadm-ha-cp-9"] } }),
    "machines.rebuild[0]",
    /no VM is named/,
  ],
  [
    "rebuilding two control planes at once",
    cloud("aws", { machines: { rebuild: ["kubeadm-ha-cp-1", "kubeadm-ha-cp-2"] } }),
    "machines.rebuild",
    /kubeadm-ha-cp-1 and kubeadm-ha-cp-2 are control-plane or etcd VMs/,
  ],
  [
    "rebuilding the only etcd member",
    cloud("digitalocean", { controlPlaneCount: 1, machines: { rebuild: ["kubeadm-ha-cp-1"] } }),
    "machines.rebuild",
    /the only etcd VM: its replacement has nothing to rejoin/,
  ],
  ["overlapping pod/service CIDRs", bareMetal({ podCidr: "10.96.0.0/16" }), "serviceCidr", /overlaps podCidr/],
  ["invalid pod CIDR", bareMetal({ podCidr: "10.244.0.0/33" }), "podCidr", /not an IPv4 CIDR/],
  ["CIDR with host bits", bareMetal({ serviceCidr: "10.96.0.1/12" }), "serviceCidr", /network address/],
  [
    "service CIDR too large",
    bareMetal({ serviceCidr: "10.0.0.0/8", podCidr: "192.168.0.0/16" }),
    "serviceCidr",
    /larger than kube-apiserver accepts/,
  ],
  ["pod CIDR too small", bareMetal({ podCidr: "10.244.0.0/24" }), "podCidr", /too few \/24 node ranges/],
  ["host inside the pod CIDR", bareMetal({ podCidr: "10.77.0.0/16" }), "hosts[0].privateIp", /inside podCidr/],
  [
    "VPC overlapping the service CIDR",
    cloud("digitalocean", { digitalocean: { region: "fra1", vpcCidr: "10.100.0.0/20", adminCidrs: ["203.0.113.0/24"] } }),
    "serviceCidr",
    /overlaps the VPC/,
  ],
  [
    "duplicate host names",
    bareMetal({ hosts: [...labHosts(), { name: "cp-1", address: "10.77.0.40", roles: ["worker"], hostKey: TEST_HOST_KEY }] }),
    "hosts[5].name",
    /duplicates hosts\[0\]/,
  ],
  [
    "duplicate host addresses",
    bareMetal({ hosts: [...labHosts(), { name: "w-9", address: "10.77.0.15", roles: ["worker"], hostKey: TEST_HOST_KEY }] }),
    "hosts[5].address",
    /duplicates hosts\[4\]/,
  ],
  [
    "duplicate private IPs",
    bareMetal({
      hosts: [...labHosts(), { name: "w-9", address: "203.0.113.9", privateIp: "10.77.0.11", roles: ["worker"], hostKey: TEST_HOST_KEY }],
    }),
    "hosts[5].privateIp",
    /duplicates hosts\[0\]/,
  ],
  [
    "a host with no role",
    bareMetal({ hosts: [...labHosts(), { name: "w-9", address: "10.77.0.40", roles: [], hostKey: TEST_HOST_KEY }] }),
    "hosts[5].roles",
    /at least one role/,
  ],
  [
    "a host with an unknown role",
    bareMetal({ hosts: [...labHosts(), { name: "w-9", address: "10.77.0.40", roles: ["master"], hostKey: TEST_HOST_KEY }] }),
    "hosts[5].roles[0]",
    /'master' is not supported/,
  ],
  [
    "an invalid host name",
    bareMetal({ hosts: [...labHosts(), { name: "Worker_9", address: "10.77.0.40", roles: ["worker"], hostKey: TEST_HOST_KEY }] }),
    "hosts[5].name",
    /not a valid node name/,
  ],
  [
    "an invalid host address",
    bareMetal({ hosts: [...labHosts(), { name: "w-9", address: "10.77.0.300", roles: ["worker"], hostKey: TEST_HOST_KEY }] }),
    "hosts[5].privateIp",
    /not an IPv4 address/,
  ],
  ["no hosts on bare metal", { provider: "baremetal" }, "hosts", /at least one host/],
  ["hosts on a cloud provider", cloud("aws", { hosts: labHosts() }), "hosts", /only used by the baremetal provider/],
  ["missing SSH key", "no-key" as unknown as Raw, "sshPrivateKey", /no SSH private key/],
  ["cloud without a public key", { provider: "aws", aws: { region: "eu-central-1" } }, "ssh.publicKey", /registers a public key/],
  ["unsupported Kubernetes version", bareMetal({ kubernetesVersion: "1.29.3" }), "kubernetesVersion", /'1.29.3' is not supported/],
  ["Kubernetes version without patch", bareMetal({ kubernetesVersion: "1.34" }), "kubernetesVersion", /not supported/],
  ["vip mode without a vip", bareMetal({ apiEndpoint: "vip" }), "vip", /needs the floating address/],
  ["vip equal to a host address", bareMetal({ apiEndpoint: "vip", vip: "10.77.0.12" }), "vip", /already a host's address/],
  ["vip on AWS", cloud("aws", { apiEndpoint: "vip", vip: "10.0.0.250" }), "apiEndpoint", /gratuitous ARP/],
  ["external endpoint missing", bareMetal({ apiEndpoint: "external" }), "externalEndpoint", /needs the load balancer's address/],
  ["vip given in nginx-proxy mode", bareMetal({ vip: "10.77.0.100" }), "vip", /only used with apiEndpoint: vip/],
  ["unknown CNI", bareMetal({ cni: "weave" }), "cni", /'weave' is not supported/],
  ["no etcd snapshot kept", bareMetal({ etcdSnapshots: { keep: 0 } }), "etcdSnapshots.keep", /out of range/],
  ["too many etcd snapshots kept", bareMetal({ etcdSnapshots: { keep: 101 } }), "etcdSnapshots.keep", /more snapshots than a host's disk/],
  ["a snapshot label that is no file name", bareMetal({ etcdSnapshots: { take: "a/b c" } }), "etcdSnapshots.take", /is not a label/],
  ["an unknown etcdSnapshots key", bareMetal({ etcdSnapshots: { every: "1h" } }), "etcdSnapshots.every", /unknown/],
  ["negative worker count", cloud("aws", { workerCount: -1 }), "workerCount", /out of range/],
  ["non-integer count", cloud("aws", { workerCount: "two" }), "workerCount", /whole number/],
  ["misspelt top-level key", bareMetal({ etcdTopolgy: "external" }), "etcdTopolgy", /unknown key/],
  ["misspelt nested key", bareMetal({ serviceLoadBalancer: { httpPort: 30800 } }), "serviceLoadBalancer.httpPort", /unknown key/],
  [
    "same NodePort twice",
    bareMetal({ serviceLoadBalancer: { httpNodePort: 30800, httpsNodePort: 30800 } }),
    "serviceLoadBalancer.httpsNodePort",
    /equals httpNodePort/,
  ],
  [
    "NodePort outside the range",
    bareMetal({ serviceLoadBalancer: { httpNodePort: 8080 } }),
    "serviceLoadBalancer.httpNodePort",
    /out of range/,
  ],
  [
    "service LB without load-balancer hosts",
    bareMetal({ hosts: labHosts().map((h) => ({ ...h, roles: (h.roles as string[]).filter((r) => r !== "loadbalancer") })) }),
    "serviceLoadBalancer",
    /no host has the loadbalancer role/,
  ],
  [
    "service LB needing more workers than exist",
    cloud("aws", { workerCount: 1, serviceLoadBalancer: { nodeCount: 2 } }),
    "serviceLoadBalancer.nodeCount",
    /cannot be taken from 1 workers/,
  ],
  [
    "a route twice",
    bareMetal({
      serviceLoadBalancer: {
        routes: [
          { host: "a.example.com", service: "web" },
          { host: "a.example.com", service: "api" },
        ],
      },
    }),
    "serviceLoadBalancer.routes[1].host",
    /routed twice/,
  ],
  ["local artifacts without a directory", bareMetal({ artifacts: { source: "local" } }), "artifacts.dir", /needs a directory/],
  [
    "leader election out of order",
    bareMetal({ leaderElection: { leaseDuration: "10s", renewDeadline: "15s" } }),
    "leaderElection",
    /leaseDuration > renewDeadline/,
  ],
  ["bad duration", bareMetal({ leaderElection: { leaseDuration: "fifteen" } }), "leaderElection.leaseDuration", /not a duration/],
  ["cloud without a region", { provider: "digitalocean", ssh: { publicKey: PUBLIC_KEY } }, "digitalocean.region", /is required/],
  [
    "too many AZs",
    cloud("aws", { aws: { region: "eu-central-1", azCount: 9, adminCidrs: ["203.0.113.0/24"] } }),
    "aws.azCount",
    /out of range/,
  ],
  ["a cloud without adminCidrs", cloud("digitalocean", { digitalocean: { region: "fra1" } }), "digitalocean.adminCidrs", /no open default/],
  ["the other cloud's section", cloud("aws", { digitalocean: { region: "fra1" } }), "digitalocean", /provider is 'aws'/],
  ["bare-metal count contradicting hosts", bareMetal({ controlPlaneCount: 5 }), "controlPlaneCount", /hosts' roles give 3/],
  ["bastion without a host", bareMetal({ bastion: { user: "jump" } }), "bastion.host", /is required/],
];

describe("bad configs are refused with the key and the fix", () => {
  it("has at least 20 distinct cases", () => {
    expect(new Set(BAD.map(([name]) => name)).size).toBeGreaterThanOrEqual(20);
  });

  it.each(BAD)("%s", (_name, raw, key, message) => {
    const noKey = (raw as unknown) === "no-key";
    const issues = noKey ? issuesOf(bareMetal(), { sshPrivateKey: false }) : issuesOf(raw);
    const issue = issues.find((i) => i.key === key && message.test(i.message));
    expect(issue).toBeDefined();
    expect(issue!.fix.length).toBeGreaterThan(5);
  });

  it("reports every problem at once, each line naming the key", () => {
    let error: unknown;
    try {
      validateConfig(bareMetal({ cni: "weave", podCidr: "nope", kubernetesVersion: "2.0.0" }), KEY);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as Error).message;
    expect(text).toMatch(/3 problems/);
    expect(text).toMatch(/kubeadm-ha:cni: 'weave' is not supported/);
    expect(text).toMatch(/kubeadm-ha:podCidr:/);
    expect(text).toMatch(/kubeadm-ha:kubernetesVersion:/);
    expect(text).toMatch(/fix: set cni to one of: calico, flannel, bridge/);
  });

  it("suggests the intended key for a typo", () => {
    const issue = issuesOf(bareMetal({ etcdTopolgy: "external" })).find((i) => i.key === "etcdTopolgy");
    expect(issue?.fix).toBe("did you mean 'etcdTopology'?");
  });
});
