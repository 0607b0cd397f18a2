// The composed cluster under mocks: placement of etcd, certificates, secrets, kubeadm wiring,
// and the O(1) scale step.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import {
  FAKE_TOKEN,
  FIXTURE_CA_HASH,
  KEY_MARKER,
  ofType,
  recorded,
  Recorded,
  resetRecorded,
  resolve,
  settle,
  setupMocks,
  isSecret,
  registeredDependsOn,
  wasSecret,
} from "./harness";

setupMocks();

import { parse, parseAllDocuments } from "yaml";
import { Raw } from "../../config/reader";
import { validateConfig } from "../../config/validate";
import { createInfrastructure } from "../../providers";
import { clusterSpecOf } from "../../config/clusterSpec";
import { Cluster } from "../../components/cluster";
import { parseBundle, programBundle } from "../../components/render/program";
import { snapshotTaken } from "../../components/etcd";
import { TEST_HOST_KEY } from "./hostKey";

const KEY = pulumi.secret(`-----BEGIN OPENSSH PRIVATE KEY-----\n${KEY_MARKER}-ssh\n-----END OPENSSH PRIVATE KEY-----\n`);

/** each host its own key, so a key reaching the wrong host's connection shows */
function hostKeyOf(i: number): string {
  return i === 1 ? TEST_HOST_KEY : `ssh-ed25519 ${Buffer.from(`host-key-of-node-${i}`).toString("base64")}`;
}

function host(i: number, roles: string[]) {
  return { name: `node-${i}`, address: `10.77.0.${10 + i}`, roles, hostKey: hostKeyOf(i) };
}

function stacked(workers = 2): Raw {
  const hosts = [1, 2, 3].map((i) => host(i, ["control-plane"]));
  for (let w = 0; w < workers; w++) hosts.push(host(4 + w, w === 0 ? ["worker", "loadbalancer"] : ["worker"]));
  return { provider: "baremetal", hosts, cni: "bridge", serviceLoadBalancer: { routes: [{ host: "web.example.com", service: "web" }] } };
}

function external(): Raw {
  return {
    provider: "baremetal",
    etcdTopology: "external",
    hosts: [
      host(1, ["etcd"]),
      host(2, ["etcd"]),
      host(3, ["etcd"]),
      host(4, ["control-plane"]),
      host(5, ["control-plane"]),
      host(6, ["worker", "loadbalancer"]),
    ],
  };
}

async function build(raw: Raw, stack = "test", runningKubernetesVersion?: string | null) {
  setupMocks(stack);
  resetRecorded();
  const config = validateConfig(raw, { sshPrivateKey: true });
  const infra = createInfrastructure(config.clusterName, config, KEY);
  const cluster = new Cluster(config.clusterName, { nodes: infra.nodes, spec: clusterSpecOf(config), runningKubernetesVersion });
  await resolve(cluster.etcdEndpoints);
  if (cluster.kubeconfig) await resolve(cluster.kubeconfig);
  await settle();
  return { config, cluster };
}

/**
 * Runs `fn` with a local artifacts folder (the binaries, and the image tars named), removed after.
 */
async function withLocalArtifacts(images: string[], fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kha-artifacts-"));
  fs.mkdirSync(path.join(dir, "bin"));
  for (const bin of ["etcd", "etcdctl", "kubeadm", "kubelet", "kubectl"]) fs.writeFileSync(path.join(dir, "bin", bin), bin);
  if (images.length > 0) fs.mkdirSync(path.join(dir, "images"));
  for (const tar of images) fs.writeFileSync(path.join(dir, "images", tar), tar);
  try {
    await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The file a remote step writes, decoded from the bundle in its stdin program. */
function bundleFile(stdin: string, path: string): string | undefined {
  return parseBundle(programBundle(stdin)).find((file) => file.path === path)?.content;
}

function step(name: string): Recorded {
  const found = recorded.find((r) => r.name === name);
  if (!found) throw new Error(`no resource ${name}; have ${recorded.map((r) => r.name).join(", ")}`);
  return found;
}

const commands = () => recorded.filter((r) => r.type.startsWith("command:"));

describe("etcd placement", () => {
  it("stacked: one etcd member per control plane, nowhere else", async () => {
    const { cluster } = await build(stacked());
    expect(Object.keys(cluster.etcd!.installs)).toEqual(["node-1", "node-2", "node-3"]);
    expect(await resolve(cluster.etcdEndpoints)).toEqual(["https://10.77.0.11:2379", "https://10.77.0.12:2379", "https://10.77.0.13:2379"]);
    const env = bundleFile(step("kubeadm-ha-etcd-node-2-install").inputs.stdin, "/etc/etcd.env")!;
    expect(env).toContain("ETCD_NAME=node-2");
    // how a member first starts is decided on the host from the configured members (etcd-member.sh)
    expect(env).not.toContain("ETCD_INITIAL_CLUSTER=");
    expect(step("kubeadm-ha-etcd-node-2-install").inputs.stdin).toContain(
      "KHA_ETCD_INITIAL_CLUSTER='node-1=https://10.77.0.11:2380,node-2=https://10.77.0.12:2380,node-3=https://10.77.0.13:2380'",
    );
    expect(step("kubeadm-ha-etcd-health").inputs.stdin).toContain("KHA_ETCD_MEMBERS='node-1=https://10.77.0.11:2380,");
    expect(env).toContain("ETCD_CLIENT_CERT_AUTH=true");
    expect(env).toContain("ETCD_PEER_CLIENT_CERT_AUTH=true");
  });

  it("external: members on the etcd nodes only, the control planes point at them", async () => {
    const { cluster } = await build(external());
    expect(Object.keys(cluster.etcd!.installs)).toEqual(["node-1", "node-2", "node-3"]);
    expect(commands().filter((c) => /etcd-node-[456]-install/.test(c.name))).toEqual([]);
    const kubeadm = bundleFile(step("kubeadm-ha-cp-node-4-init").inputs.stdin, "/etc/kubeadm-ha/kubeadm.yaml")!;
    const clusterConfig = parseAllDocuments(kubeadm)
      .map((d) => d.toJS())
      .find((d) => d.kind === "ClusterConfiguration");
    expect(clusterConfig.etcd.external.endpoints).toEqual([
      "https://10.77.0.11:2379",
      "https://10.77.0.12:2379",
      "https://10.77.0.13:2379",
    ]);
    expect(clusterConfig.etcd.local).toBeUndefined();
  });

  it("snapshots the running etcd on the first member before any member step, when members, versions or etcdSnapshots.take change", async () => {
    await build(stacked());
    const snapshot = step("kubeadm-ha-etcd-snapshot");
    expect(snapshot.inputs.connection.host).toBe("10.77.0.11");
    for (const input of [
      "KHA_SNAPSHOT_LABEL='before-change'",
      "KHA_SNAPSHOT_KEEP='5'",
      "KHA_ETCD_MEMBERS='node-1=https://10.77.0.11:2380,",
      "KHA_KUBERNETES_VERSION='1.34.1'",
      "KHA_ETCD_VERSION='3.5.21'",
    ])
      expect(snapshot.inputs.stdin).toContain(input);
    for (const member of ["node-1", "node-2", "node-3"])
      expect(registeredDependsOn.get(`kubeadm-ha-etcd-${member}-install`)).toContain("kubeadm-ha-etcd-snapshot");
    await build({ ...stacked(), etcdSnapshots: { keep: 3, take: "before-upgrade" } });
    expect(step("kubeadm-ha-etcd-snapshot").inputs.stdin).toContain("KHA_SNAPSHOT_LABEL='before-upgrade'");
    expect(step("kubeadm-ha-etcd-snapshot").inputs.stdin).toContain("KHA_SNAPSHOT_KEEP='3'");
  });

  it("gates on the health of every member over TLS before the first control plane", async () => {
    const { cluster } = await build(stacked());
    const gate = step("kubeadm-ha-etcd-health");
    expect(gate.inputs.stdin).toContain("KHA_ETCD_ENDPOINTS='https://10.77.0.11:2379,https://10.77.0.12:2379,https://10.77.0.13:2379'");
    expect(cluster.etcd!.healthGate).toBeDefined();
  });
});

describe("certificates", () => {
  it("every etcd member certificate carries its own IP and name", async () => {
    await build(external());
    for (const i of [1, 2, 3]) {
      for (const kind of ["server", "peer"]) {
        const csr = step(`kubeadm-ha-pki-etcd-node-${i}-${kind}-csr`);
        expect(csr.inputs.ipAddresses).toEqual([`10.77.0.1${i}`, "127.0.0.1"]);
        expect(csr.inputs.dnsNames).toEqual([`node-${i}`, "localhost"]);
      }
    }
  });

  it("apiserver certificates carry the node IP, localhost, the service IP and kubernetes.default", async () => {
    await build(stacked());
    const csr = step("kubeadm-ha-pki-apiserver-node-2-csr");
    expect(csr.inputs.ipAddresses).toEqual(["10.96.0.1", "127.0.0.1", "10.77.0.12"]);
    expect(csr.inputs.dnsNames).toEqual(expect.arrayContaining(["kubernetes.default.svc.cluster.local", "localhost", "node-2"]));
  });

  it("a VIP or external endpoint lands in every apiserver certificate", async () => {
    await build({ ...stacked(), apiEndpoint: "vip", vip: "10.77.0.100" });
    for (const i of [1, 2, 3]) expect(step(`kubeadm-ha-pki-apiserver-node-${i}-csr`).inputs.ipAddresses).toContain("10.77.0.100");
    await build({ ...stacked(), apiEndpoint: "external", externalEndpoint: "api.example.com" }, "ext");
    expect(step("kubeadm-ha-pki-apiserver-node-1-csr").inputs.dnsNames).toContain("api.example.com");
  });

  it("CAs are long-lived, leaves renew early", async () => {
    await build(stacked());
    const ca = step("kubeadm-ha-pki-etcd-ca");
    expect(ca.inputs.isCaCertificate).toBe(true);
    expect(ca.inputs.validityPeriodHours).toBe(87600);
    const leaf = step("kubeadm-ha-pki-etcd-node-1-server");
    expect(leaf.inputs.validityPeriodHours).toBe(8760);
    expect(leaf.inputs.earlyRenewalHours).toBe(720);
  });

  it("kubeadm's kubeconfigs live as long as the leaves and renew with the renewal clock; every expiry is an output", async () => {
    const { cluster } = await build({ ...stacked(), pki: { validityHours: 2000, earlyRenewalHours: 100 } });
    const clock = step("kubeadm-ha-pki-kubeconfig-renewal");
    expect([clock.inputs.validityPeriodHours, clock.inputs.earlyRenewalHours]).toEqual([2000, 100]);
    for (const cp of ["kubeadm-ha-cp-node-1-init", "kubeadm-ha-cp-node-2-join", "kubeadm-ha-cp-node-3-join"]) {
      const stdin = step(cp).inputs.stdin;
      // (the mocks' certificates all end at these times)
      expect(bundleFile(stdin, "/etc/kubeadm-ha/kubeconfig-renewal")).toBe("kubeadm's kubeconfigs: renew before 2036-12-01T00:00:00Z\n");
      const clusterConfig = parseAllDocuments(bundleFile(stdin, "/etc/kubeadm-ha/kubeadm.yaml")!)
        .map((d) => d.toJS())
        .find((d) => d.kind === "ClusterConfiguration");
      expect(clusterConfig.certificateValidityPeriod).toBe("2000h0m0s");
    }
    const expiries = await resolve(cluster.pki.expiries);
    for (const name of ["etcd-ca", "kubernetes-ca", "etcd-node-1-server", "apiserver-node-2", "admin", "front-proxy-client"])
      expect(expiries[name]).toMatch(/^20\d\d-/);
    expect(Object.keys(expiries)).toContain("kubeadm kubeconfigs (admin, super-admin, controller-manager, scheduler)");
    expect(Object.keys(expiries).filter((k) => k.startsWith("kubeadm-ha"))).toEqual([]);
  });

  it("computes the discovery hash from the CA's public key", async () => {
    const { cluster } = await build(stacked());
    expect(await resolve(cluster.pki.discoveryHash)).toBe(FIXTURE_CA_HASH);
  });
});

describe("secrets", () => {
  it("private keys, the kubeconfig and join material are secret outputs", async () => {
    const { cluster } = await build(stacked());
    const pki = cluster.pki;
    for (const key of [
      pki.etcdCa.keyPem,
      pki.kubernetesCa.keyPem,
      pki.serviceAccount.privateKeyPem,
      pki.admin.keyPem,
      pki.etcdMembers["node-1"].peer.keyPem,
    ]) {
      expect(await isSecret(key)).toBe(true);
    }
    expect(await isSecret(cluster.kubeconfig!)).toBe(true);
    // the engine receives the stdin of steps carrying keys or tokens as secrets
    for (const name of [
      "kubeadm-ha-workers-node-4-join",
      "kubeadm-ha-etcd-node-1-install",
      "kubeadm-ha-cp-node-1-init",
      "kubeadm-ha-cp-node-2-join",
    ]) {
      expect(wasSecret(step(name).raw.stdin)).toBe(true);
    }
    expect(wasSecret(step("kubeadm-ha-etcd-node-1-reset").raw.stdin)).toBe(true);
    // steps without secrets stay readable in previews
    expect(wasSecret(step("kubeadm-ha-prep-node-1-base").raw.stdin)).toBe(false);
  });

  it("no command string, environment or log setting carries key material or tokens", async () => {
    await build(stacked());
    const all = commands();
    expect(all.length).toBeGreaterThan(20);
    for (const c of all) {
      for (const field of ["create", "update", "delete"]) {
        const text = String(c.inputs[field] ?? "");
        expect(text).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
        expect(text).not.toContain(KEY_MARKER);
        expect(text).not.toContain(FAKE_TOKEN);
      }
      expect(JSON.stringify(c.inputs.environment ?? {})).not.toContain(KEY_MARKER);
      if (c.type === "command:remote:Command") {
        // stdin carries files base64-encoded inside the bundle, never as plain PEM text
        expect(String(c.inputs.stdin ?? "")).not.toContain("PRIVATE KEY-----");
      } else if (c.type === "command:local:Command") {
        // the local reset gets the SSH key on stdin, as a secret
        expect(wasSecret(c.raw.stdin)).toBe(true);
      }
    }
    const tokens = all.filter((c) => c.name.endsWith("-token"));
    expect(tokens.length).toBe(4); // two control-plane joins, two workers
    expect(tokens.every((t) => t.inputs.logging === "none")).toBe(true);
  });

  it("delivers keys only where they belong: no CA key on etcd-only or worker nodes", async () => {
    await build(external());
    const keyFiles = (name: string) => {
      return parseBundle(programBundle(String(step(name).inputs.stdin)))
        .filter((file) => file.mode === "0600")
        .map((file) => file.path);
    };
    expect(keyFiles("kubeadm-ha-etcd-node-1-install")).toEqual([
      "/etc/kubernetes/pki/etcd/server.key",
      "/etc/kubernetes/pki/etcd/peer.key",
      "/etc/kubernetes/pki/etcd/healthcheck-client.key",
    ]);
    // the discovery file carries the token as its credential (hardening.anonymousAuthHealthOnly)
    expect(keyFiles("kubeadm-ha-workers-node-6-join")).toEqual(["/etc/kubeadm-ha/discovery.conf", "/etc/kubeadm-ha/kubeadm-join.yaml"]);
    expect(keyFiles("kubeadm-ha-cp-node-4-init")).toContain("/etc/kubernetes/pki/ca.key");
  });
});

describe("kubeadm wiring", () => {
  it("init on the first control plane, control-plane joins one after another, workers through localhost", async () => {
    const { cluster } = await build(stacked());
    const cp = cluster.controlPlane!;
    expect(Object.keys(cp.joins)).toEqual(["node-2", "node-3"]);
    const cpJoin = parse(bundleFile(step("kubeadm-ha-cp-node-2-join").inputs.stdin, "/etc/kubeadm-ha/kubeadm-join.yaml")!);
    expect(cpJoin.controlPlane.localAPIEndpoint.advertiseAddress).toBe("10.77.0.12");
    expect(cpJoin.controlPlane.certificateKey).toBeUndefined();
    // control planes discover through a file naming the first apiserver and carrying the CA
    expect(cpJoin.discovery).toEqual({ file: { kubeConfigPath: "/etc/kubeadm-ha/discovery.conf" }, tlsBootstrapToken: FAKE_TOKEN });
    const discovery = parse(bundleFile(step("kubeadm-ha-cp-node-2-join").inputs.stdin, "/etc/kubeadm-ha/discovery.conf")!);
    expect(discovery.clusters[0].cluster.server).toBe("https://10.77.0.11:6443");
    expect(Buffer.from(discovery.clusters[0].cluster["certificate-authority-data"], "base64").toString()).toContain("BEGIN CERTIFICATE");
    expect(discovery.users).toEqual([{ name: "discovery", user: { token: FAKE_TOKEN } }]);
    // anonymous requests reach only health endpoints (hardening.anonymousAuthHealthOnly): workers
    // discover through a file too, naming their own endpoint
    const workerStdin = step("kubeadm-ha-workers-node-4-join").inputs.stdin;
    const workerJoin = parse(bundleFile(workerStdin, "/etc/kubeadm-ha/kubeadm-join.yaml")!);
    expect(workerJoin.discovery).toEqual({ file: { kubeConfigPath: "/etc/kubeadm-ha/discovery.conf" }, tlsBootstrapToken: FAKE_TOKEN });
    const workerDiscovery = parse(bundleFile(workerStdin, "/etc/kubeadm-ha/discovery.conf")!);
    expect(workerDiscovery.clusters[0].cluster.server).toBe("https://localhost:6443");
    expect(workerDiscovery.users[0].user.token).toBe(FAKE_TOKEN);
    expect(workerJoin.controlPlane).toBeUndefined();
    expect(workerJoin.nodeRegistration.kubeletExtraArgs).toEqual([
      { name: "node-ip", value: "10.77.0.14" },
      { name: "node-labels", value: "role=loadbalancer" },
    ]);
    // the token is created on the first control plane, for that node only
    expect(step("kubeadm-ha-workers-node-4-token").inputs.stdin).toContain("KHA_FOR='node-4'");
  });

  it("puts the proxy on every non-control-plane node, listing every apiserver", async () => {
    const { cluster } = await build(stacked());
    expect(Object.keys(cluster.apiserverProxy!.installs)).toEqual(["node-4", "node-5"]);
    const conf = bundleFile(step("kubeadm-ha-proxy-node-5").inputs.stdin, "/etc/kubeadm-ha/apiserver-proxy/nginx.conf")!;
    for (const i of [1, 2, 3]) expect(conf).toContain(`server 10.77.0.1${i}:6443`);
    expect(conf).toContain("listen 127.0.0.1:6443;");
  });

  it("has no proxy in vip mode; workers join through the VIP", async () => {
    const { cluster } = await build({ ...stacked(), apiEndpoint: "vip", vip: "10.77.0.100" });
    expect(cluster.apiserverProxy).toBeUndefined();
    expect(Object.keys(cluster.vip!.installs)).toEqual(["node-1", "node-2", "node-3"]);
    expect(bundleFile(step("kubeadm-ha-vip-node-1").inputs.stdin, "/etc/keepalived/keepalived.conf")).toContain("10.77.0.100/32");
    const workerDiscovery = parse(bundleFile(step("kubeadm-ha-workers-node-4-join").inputs.stdin, "/etc/kubeadm-ha/discovery.conf")!);
    expect(workerDiscovery.clusters[0].cluster.server).toBe("https://10.77.0.100:6443");
  });

  it("workers use token discovery pinned to the CA when anonymous auth is not restricted", async () => {
    await build({ ...stacked(), hardening: { anonymousAuthHealthOnly: false } });
    const stdin = step("kubeadm-ha-workers-node-4-join").inputs.stdin;
    const workerJoin = parse(bundleFile(stdin, "/etc/kubeadm-ha/kubeadm-join.yaml")!);
    expect(workerJoin.discovery.bootstrapToken).toEqual({
      apiServerEndpoint: "localhost:6443",
      token: FAKE_TOKEN,
      caCertHashes: [FIXTURE_CA_HASH],
    });
    expect(bundleFile(stdin, "/etc/kubeadm-ha/discovery.conf")).toBeUndefined();
  });

  it("resets bare-metal hosts on destroy with local commands that cannot wedge", async () => {
    await build(stacked());
    const resets = ofType("command:local:Command");
    expect(resets.map((r) => r.name).sort()).toEqual(
      expect.arrayContaining([
        "kubeadm-ha-prep-node-1-reset",
        "kubeadm-ha-etcd-node-1-reset",
        "kubeadm-ha-cp-node-1-reset",
        "kubeadm-ha-workers-node-4-reset",
        "kubeadm-ha-proxy-node-4-reset",
      ]),
    );
    for (const r of resets) {
      expect(r.inputs.create).toBe("true");
      expect(r.inputs.delete).toBe('bash -c "$KHA_SSH_RUN"');
    }
  });

  it("drains a leaving worker from the first control plane before the worker's own reset", async () => {
    await build(stacked());
    for (const worker of ["node-4", "node-5"]) {
      const leave = step(`kubeadm-ha-workers-${worker}-leave`);
      expect(leave.type).toBe("command:local:Command");
      expect(leave.inputs.delete).toBe('bash -c "$KHA_SSH_RUN"');
      expect(leave.inputs.environment).toMatchObject({ KHA_HOST: "10.77.0.11", KHA_NODE: "node-1" });
      expect(leave.inputs.environment.KHA_REMOTE_PROGRAM).toContain(`KHA_LEAVING='${worker}'`);
    }
  });

  it("drains a leaving control plane (the first one too) from the first control plane before its reset", async () => {
    await build(stacked());
    for (const cp of ["node-1", "node-2", "node-3"]) {
      const leave = step(`kubeadm-ha-cp-${cp}-leave`);
      expect(leave.inputs.delete).toBe('bash -c "$KHA_SSH_RUN"');
      expect(leave.inputs.environment).toMatchObject({ KHA_HOST: "10.77.0.11", KHA_NODE: "node-1" });
      expect(leave.inputs.environment.KHA_REMOTE_PROGRAM).toContain(`KHA_LEAVING='${cp}'`);
    }
  });

  it("the first control plane's init step can only join a cluster etcd already holds: its rejoin configuration, no token", async () => {
    await build(stacked());
    const stdin = step("kubeadm-ha-cp-node-1-init").inputs.stdin;
    expect(stdin).toContain("KHA_NODE_NAME='node-1'");
    expect(stdin).toContain("KHA_OTHER_APISERVERS='10.77.0.12:6443 10.77.0.13:6443'");
    expect(stdin).toContain("KHA_ETCD_ENDPOINTS='https://10.77.0.11:2379,https://10.77.0.12:2379,https://10.77.0.13:2379'");
    const rejoin = parse(bundleFile(stdin, "/etc/kubeadm-ha/kubeadm-rejoin.yaml")!);
    expect(rejoin.kind).toBe("JoinConfiguration");
    expect(rejoin.discovery).toEqual({ file: { kubeConfigPath: "/etc/kubeadm-ha/discovery.conf" } });
    expect(rejoin.controlPlane).toEqual({ localAPIEndpoint: { advertiseAddress: "10.77.0.11", bindPort: 6443 } });
    expect(rejoin.nodeRegistration.name).toBe("node-1");
  });

  it("copies air-gapped artifacts anew to a host given back reinstalled (new host key) or at a new address", async () => {
    await withLocalArtifacts([], async (dir) => {
      const { config } = await build({ ...stacked(), artifacts: { source: "local", dir } });
      const copies = ofType("command:remote:CopyToRemote");
      // one copy per node and part: etcd's binaries on 3 members, Kubernetes' on 5 nodes
      expect(copies.map((c) => c.name).sort()).toEqual(
        [
          ...[1, 2, 3].map((i) => `kubeadm-ha-etcd-node-${i}-artifacts`),
          ...[1, 2, 3, 4, 5].map((i) => `kubeadm-ha-prep-node-${i}-artifacts`),
        ].sort(),
      );
      const staged = async (name: string) => {
        const dir = (await copies.find((c) => c.name === name)!.raw.source.path) as string;
        return ["bin", "images"].flatMap((sub) =>
          fs.existsSync(path.join(dir, sub)) ? fs.readdirSync(path.join(dir, sub)).map((f) => `${sub}/${f}`) : [],
        );
      };
      expect(await staged("kubeadm-ha-etcd-node-1-artifacts")).toEqual(["bin/etcd", "bin/etcdctl"]);
      expect(await staged("kubeadm-ha-prep-node-4-artifacts")).toEqual(["bin/kubeadm", "bin/kubectl", "bin/kubelet"]);
      for (const c of copies) expect(c.inputs.remotePath).toBe("/opt/kubeadm-ha/artifacts");
      const keyOf = new Map(config.hosts.map((h) => [h.address, h.hostKey]));
      for (const c of copies) expect(c.inputs.triggers).toEqual([c.inputs.connection.host, keyOf.get(c.inputs.connection.host)]);
    });
  });

  it("pins each node's own host key on every remote step and every reset", async () => {
    for (const raw of [stacked(), external()]) {
      const { config } = await build(raw);
      const keyOf = new Map(config.hosts.map((h) => [h.address, h.hostKey]));
      const remote = ofType("command:remote:Command");
      expect(remote.length).toBeGreaterThan(10);
      for (const c of remote) expect([c.name, c.inputs.connection.hostKey]).toEqual([c.name, keyOf.get(c.inputs.connection.host)]);
      const resets = ofType("command:local:Command");
      for (const r of resets)
        expect([r.name, r.inputs.environment.KHA_HOST_KEY]).toEqual([r.name, keyOf.get(r.inputs.environment.KHA_HOST)]);
      expect(new Set(remote.map((c) => c.inputs.connection.hostKey)).size).toBe(config.hosts.length);
    }
  });

  it("stops after host preparation when asked, still with its PKI", async () => {
    const { cluster } = await build({ ...stacked(), stopAfter: "host-prep" });
    expect(cluster.etcd).toBeUndefined();
    expect(cluster.controlPlane).toBeUndefined();
    expect(ofType("tls:index/selfSignedCert:SelfSignedCert").length).toBeGreaterThan(0);
    expect(recorded.filter((r) => /etcd-node-\d-install/.test(r.name))).toEqual([]);
  });

  it("stops after etcd when asked", async () => {
    const { cluster } = await build({ ...stacked(), stopAfter: "etcd" });
    expect(cluster.controlPlane).toBeUndefined();
    expect(commands().some((c) => c.name.includes("node-install"))).toBe(false);
    expect(commands().some((c) => c.name.endsWith("-install") && c.name.includes("etcd"))).toBe(true);
  });
});

describe("the service load balancer's Kubernetes provider", () => {
  it("names the cluster by its CA, so a new admin credential never replaces the objects", async () => {
    await build(stacked());
    // the service load balancer's and metrics-server's
    const providers = ofType("pulumi:providers:kubernetes");
    expect(providers.map((p) => p.name).sort()).toEqual(["kubeadm-ha-metrics-k8s", "kubeadm-ha-slb-k8s"]);
    for (const p of providers) expect(p.inputs.clusterIdentifier).toBe(`kubeadm-ha/${FIXTURE_CA_HASH}`);
  });
});

describe("the O(1) scale step", () => {
  it("adding a worker adds that worker's resources and changes no other node's", async () => {
    await build(stacked(2), "before");
    const before = new Map(recorded.map((r) => [r.name, JSON.stringify(r.inputs)]));
    await build(stacked(3), "after");
    const after = new Map(recorded.map((r) => [r.name, JSON.stringify(r.inputs)]));
    const added = [...after.keys()].filter((k) => !before.has(k));
    const changed = [...before.keys()].filter((k) => after.has(k) && after.get(k) !== before.get(k));
    const removed = [...before.keys()].filter((k) => !after.has(k));
    expect(removed).toEqual([]);
    expect(changed).toEqual([]);
    expect(added.length).toBeGreaterThan(3);
    expect(added.every((name) => name.includes("node-6"))).toBe(true);
  });
});

describe("the order from bare hosts", () => {
  it("a new cluster's control planes join at once; a running one's one after another", async () => {
    await build(stacked(), "test", null);
    expect(registeredDependsOn.get("kubeadm-ha-cp-node-3-join")).toContain("kubeadm-ha-cp-node-1-init");
    expect(registeredDependsOn.get("kubeadm-ha-cp-node-3-join")).not.toContain("kubeadm-ha-cp-node-2-join");
    await build(stacked(), "test", "1.34.1");
    expect(registeredDependsOn.get("kubeadm-ha-cp-node-3-join")).toContain("kubeadm-ha-cp-node-2-join");
    await build(stacked(), "test", undefined);
    expect(registeredDependsOn.get("kubeadm-ha-cp-node-3-join")).toContain("kubeadm-ha-cp-node-2-join");
  });

  it("etcd members wait for the base preparation only, and hold the etcd lock instead of the host lock", async () => {
    await build(stacked(), "test", null);
    for (const step of ["kubeadm-ha-etcd-snapshot", "kubeadm-ha-etcd-node-1-reset"]) {
      expect(registeredDependsOn.get(step)).toContain("kubeadm-ha-prep-node-1-base");
      expect(registeredDependsOn.get(step)).not.toContain("kubeadm-ha-prep-node-1-install");
    }
    expect(step("kubeadm-ha-etcd-node-1-install").inputs.stdin).toContain("exec 9>>/run/kubeadm-ha-etcd.lock");
    expect(step("kubeadm-ha-etcd-health").inputs.stdin).toContain("exec 9>>/run/kubeadm-ha-etcd.lock");
    expect(step("kubeadm-ha-prep-node-1-install").inputs.stdin).toContain("exec 9>>/run/kubeadm-ha.lock");
    // kubeadm init still waits for the node's binaries and images and for etcd's health gate
    expect(registeredDependsOn.get("kubeadm-ha-cp-node-1-init")).toEqual(
      expect.arrayContaining(["kubeadm-ha-prep-node-1-install", "kubeadm-ha-etcd-health"]),
    );
  });

  it("the first control plane's install runs first (kubeadm init waits for it); every other install waits for it, no copy does", async () => {
    await withLocalArtifacts([], async (dir) => {
      await build({ ...stacked(), artifacts: { source: "local", dir } }, "test", null);
      expect(registeredDependsOn.get("kubeadm-ha-prep-node-1-install")).not.toEqual(
        expect.arrayContaining([expect.stringMatching(/-install$/)]),
      );
      for (const node of ["node-2", "node-3", "node-4", "node-5"]) {
        expect(registeredDependsOn.get(`kubeadm-ha-prep-${node}-install`)).toContain("kubeadm-ha-prep-node-1-install");
        expect(registeredDependsOn.get(`kubeadm-ha-prep-${node}-artifacts`)).toEqual(["kubeadm-ha-prep-" + node + "-base"]);
      }
      // etcd's binaries travel once the host is prepared, not after the snapshot and the member's reset
      expect(registeredDependsOn.get("kubeadm-ha-etcd-node-2-artifacts")).toEqual(["kubeadm-ha-prep-node-2-base"]);
    });
  });

  it("the service load balancer waits for the first control plane and its own nodes, not for the other control planes", async () => {
    await build(stacked(), "test", null);
    const slb = [...registeredDependsOn.entries()].filter(([name]) => name.startsWith("kubeadm-ha-slb-")).flatMap(([, deps]) => deps);
    expect(slb).toEqual(expect.arrayContaining(["kubeadm-ha-cp-node-1-init", "kubeadm-ha-workers-node-4-join", "kubeadm-ha-cni-node-4"]));
    expect(slb).not.toContain("kubeadm-ha-cp-node-3-join");
  });

  it("workers get every image but the control planes'", async () => {
    await withLocalArtifacts(["kube-apiserver_v1.34.1.tar", "kube-proxy_v1.34.1.tar", "pause_3.10.1.tar"], async (dir) => {
      await build({ ...stacked(), artifacts: { source: "local", dir } }, "test", null);
      const copied = async (node: string) => {
        const copy = ofType("command:remote:CopyToRemote").find((c) => c.name === `kubeadm-ha-prep-${node}-artifacts`)!;
        return fs.readdirSync(path.join((await copy.raw.source.path) as string, "images")).sort();
      };
      expect(await copied("node-1")).toEqual(["kube-apiserver_v1.34.1.tar", "kube-proxy_v1.34.1.tar", "pause_3.10.1.tar"]);
      expect(await copied("node-4")).toEqual(["kube-proxy_v1.34.1.tar", "pause_3.10.1.tar"]);
    });
  });
});

describe("rolling upgrade of kubernetesVersion", () => {
  const upgradeSteps = () => commands().filter((c) => /-upgrade(-drain|-uncordon)?$/.test(c.name));

  it("without a version change there are no upgrade steps and workers join in parallel; the recorded version is said, constantly", async () => {
    const { cluster } = await build(stacked(3), "test", "1.34.1");
    expect(upgradeSteps()).toEqual([]);
    expect(step("kubeadm-ha-prep-node-4-install").inputs.stdin).toContain("KHA_VERSION_RECORDED='true'");
    expect(registeredDependsOn.get("kubeadm-ha-workers-node-5-join")).not.toContain("kubeadm-ha-workers-node-4-join");
    expect(await resolve(cluster.kubernetesVersion)).toBe("1.34.1");
  });

  it("a new stack (null: nothing runs yet) counts as recorded from its first run, so its second run re-runs no install step; unknown does not", async () => {
    const installs = () => commands().filter((c) => c.name.endsWith("-install") && c.name.includes("-prep-"));
    await build(stacked(), "test", null);
    expect(installs().every((c) => String(c.inputs.stdin).includes("KHA_VERSION_RECORDED='true'"))).toBe(true);
    await build(stacked(), "test", undefined);
    expect(installs().some((c) => String(c.inputs.stdin).includes("KHA_VERSION_RECORDED"))).toBe(false);
  });

  it("every step of an upgrade run has the same input in the run after it: nothing re-runs for the upgrade's sake", async () => {
    const stdins = () =>
      Object.fromEntries(
        commands()
          .filter((c) => !/-upgrade(-drain|-uncordon)?$/.test(c.name))
          .map((c) => [c.name, c.inputs.stdin]),
      );
    await build({ ...stacked(3), kubernetesVersion: "1.35.4" }, "test", "1.34.1");
    const during = stdins();
    await build({ ...stacked(3), kubernetesVersion: "1.35.4" }, "test", "1.35.4");
    expect(stdins()).toEqual(during);
  });

  it("1.34.1 -> 1.35.4: every node stages, control planes in their chain, then workers one at a time, drained from the first control plane", async () => {
    const raw = { ...stacked(3), kubernetesVersion: "1.35.4", upgrade: { workersInParallel: 2, drainTimeout: "90s" } };
    const { cluster } = await build(raw, "test", "1.34.1");
    for (const node of ["node-1", "node-4"])
      expect(step(`kubeadm-ha-prep-${node}-install`).inputs.stdin).toContain("KHA_VERSION_RECORDED='true'");
    expect(step("kubeadm-ha-cp-node-1-init").inputs.stdin).toContain("KHA_DRAIN_TIMEOUT='90s'");
    expect(step("kubeadm-ha-cp-node-2-join").inputs.stdin).toContain("KHA_IGNORE_PREFLIGHT='SystemVerification'");
    // workers after the last control plane (a kubelet never newer than an apiserver)
    expect(registeredDependsOn.get("kubeadm-ha-workers-node-4-join")).toContain("kubeadm-ha-cp-node-3-join");
    expect(
      upgradeSteps()
        .map((c) => c.name)
        .sort(),
    ).toEqual(
      ["node-4", "node-5", "node-6"]
        .flatMap((w) => [
          `kubeadm-ha-workers-${w}-upgrade`,
          `kubeadm-ha-workers-${w}-upgrade-drain`,
          `kubeadm-ha-workers-${w}-upgrade-uncordon`,
        ])
        .sort(),
    );
    const drain = step("kubeadm-ha-workers-node-4-upgrade-drain");
    expect(drain.inputs.connection.host).toBe("10.77.0.11");
    expect(drain.inputs.stdin).toContain("KHA_ACTION='drain'");
    expect(step("kubeadm-ha-workers-node-4-upgrade").inputs.connection.host).toBe("10.77.0.14");
    expect(step("kubeadm-ha-workers-node-4-upgrade").inputs.stdin).toContain("KHA_UPGRADE_MODE='worker'");
    expect(registeredDependsOn.get("kubeadm-ha-workers-node-4-upgrade")).toContain("kubeadm-ha-workers-node-4-upgrade-drain");
    expect(registeredDependsOn.get("kubeadm-ha-workers-node-4-upgrade-uncordon")).toContain("kubeadm-ha-workers-node-4-upgrade");
    // two at a time: node-4 and node-5 together, node-6 after both are back
    expect(registeredDependsOn.get("kubeadm-ha-workers-node-5-upgrade-drain")).not.toContain("kubeadm-ha-workers-node-4-upgrade-uncordon");
    expect(registeredDependsOn.get("kubeadm-ha-workers-node-6-upgrade-drain")).toEqual(
      expect.arrayContaining(["kubeadm-ha-workers-node-4-upgrade-uncordon", "kubeadm-ha-workers-node-5-upgrade-uncordon"]),
    );
    expect(await resolve(cluster.kubernetesVersion)).toBe("1.35.4");
  });

  it("a skipped minor is refused before any resource exists", async () => {
    await expect(build({ ...stacked(), kubernetesVersion: "1.36.1" }, "test", "1.34.1")).rejects.toThrow(
      /kubeadm upgrades one minor version at a time, and 1.36.1 skips 1.35.x/,
    );
    expect(commands()).toEqual([]);
  });

  it("allowCgroupV1 puts failCgroupV1: false into the cluster's kubelet configuration, and nothing by default", async () => {
    const kubelet = () =>
      parseAllDocuments(bundleFile(step("kubeadm-ha-cp-node-1-init").inputs.stdin, "/etc/kubeadm-ha/kubeadm.yaml")!)
        .map((d) => d.toJS())
        .find((d) => d.kind === "KubeletConfiguration");
    await build(stacked());
    expect(kubelet().failCgroupV1).toBeUndefined();
    await build({ ...stacked(), allowCgroupV1: true });
    expect(kubelet().failCgroupV1).toBe(false);
  });
});

describe("etcdSnapshots.copyTo", () => {
  it("copies each snapshot taken to the operator's directory from the first member, after the snapshot step; none without it", async () => {
    await build(stacked());
    expect(commands().filter((c) => c.name.endsWith("snapshot-copy"))).toEqual([]);
    await build({ ...stacked(), etcdSnapshots: { copyTo: "/srv/etcd-backups" } });
    const copy = step("kubeadm-ha-etcd-snapshot-copy");
    expect(copy.type).toBe("command:local:Command");
    expect(copy.inputs.environment.KHA_COPY_TO).toBe("/srv/etcd-backups");
    expect(copy.inputs.environment.KHA_HOST).toBe("10.77.0.11");
    expect(copy.inputs.environment.KHA_HOST_KEY).toBe(TEST_HOST_KEY);
    expect(JSON.stringify(copy.inputs.environment)).not.toContain(KEY_MARKER);
    expect(wasSecret(copy.raw.stdin)).toBe(true);
    expect(registeredDependsOn.get("kubeadm-ha-etcd-snapshot-copy")).toContain("kubeadm-ha-etcd-snapshot");
  });

  it("names the file a snapshot step took, and none when it took none", () => {
    const took =
      "kubeadm-ha[etcd-snapshot]: snapshot of https://10.77.0.11:2379 at revision 4242: /var/lib/kubeadm-ha/etcd-snapshots/20261206T101500Z-before-change.db";
    expect(snapshotTaken(`unchanged /x\n${took}\n`)).toBe("/var/lib/kubeadm-ha/etcd-snapshots/20261206T101500Z-before-change.db");
    expect(snapshotTaken("kubeadm-ha[etcd-snapshot]: no etcd member answers yet (a new cluster): nothing to snapshot\n")).toBe("");
  });
});
