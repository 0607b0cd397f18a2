// The security defaults in a composed cluster under mocks: every control plane gets the files the
// apiserver reads before kubeadm runs, the Secrets encryption key only ever travels in a step's
// (secret) stdin, and a default turned off is said out loud.

import * as pulumi from "@pulumi/pulumi";
import { recorded, resetRecorded, resolve, settle, setupMocks, wasSecret } from "./harness";

setupMocks();

import { parse, parseAllDocuments } from "yaml";
import { clusterSpec } from "../../config/clusterSpec";
import type { Raw } from "../../config/reader";
import { Cluster } from "../../components/cluster";
import { parseBundle, programBundle } from "../../components/render/program";
import type { ClusterNode } from "../../providers/node";

function node(i: number, roles: ClusterNode["roles"]): ClusterNode {
  return {
    name: `node-${i}`,
    roles,
    privateIp: `10.77.0.${10 + i}`,
    connection: { host: `10.77.0.${10 + i}`, user: "root", privateKey: pulumi.secret("ssh-key") },
    ready: [],
  };
}

const NODES = [
  node(1, ["control-plane", "etcd"]),
  node(2, ["control-plane", "etcd"]),
  node(3, ["control-plane", "etcd"]),
  node(4, ["worker"]),
];

async function build(raw: Raw = {}): Promise<Cluster> {
  setupMocks("hardening");
  resetRecorded();
  const cluster = new Cluster("kha", { nodes: NODES, spec: clusterSpec({ cni: "bridge", ...raw }) });
  await resolve(cluster.kubeconfig!);
  await settle();
  return cluster;
}

function step(name: string) {
  const found = recorded.find((r) => r.name === name);
  if (!found) throw new Error(`no resource ${name}`);
  return found;
}

/** mode and content of a file in a step's bundle */
function bundleFile(stdin: string, path: string): { mode: string; content: string } | undefined {
  return parseBundle(programBundle(stdin)).find((file) => file.path === path);
}

const CONTROL_PLANE_STEPS = ["kha-cp-node-1-init", "kha-cp-node-2-join", "kha-cp-node-3-join"];

describe("the security defaults on the control planes", () => {
  it("every control plane gets the encryption config (0600), audit policy, authentication config and approver before kubeadm", async () => {
    await build();
    const keys = new Set<string>();
    for (const name of CONTROL_PLANE_STEPS) {
      const stdin = step(name).inputs.stdin as string;
      const encryption = bundleFile(stdin, "/etc/kubernetes/encryption/config.yaml")!;
      expect(encryption.mode).toBe("0600");
      const provider = parse(encryption.content).resources[0].providers[0].secretbox.keys[0];
      expect(Buffer.from(provider.secret, "base64")).toHaveLength(32);
      keys.add(provider.secret);
      expect(parse(bundleFile(stdin, "/etc/kubernetes/audit/policy.yaml")!.content).kind).toBe("Policy");
      expect(parse(bundleFile(stdin, "/etc/kubernetes/authentication/config.yaml")!.content).anonymous.enabled).toBe(true);
      expect(bundleFile(stdin, "/etc/kubeadm-ha/hardening.env")!.content).toContain("KHA_KUBELET_SERVING_CERTS=true");
      for (const file of [
        "/opt/kubeadm-ha/scripts/kubelet-csr-approve.sh",
        "/opt/kubeadm-ha/scripts/kubelet-csr-approver-install.sh",
        "/etc/systemd/system/kubeadm-ha-kubelet-csr-approver.timer",
      ]) {
        expect(bundleFile(stdin, file)).toBeDefined();
      }
      const kubeadm = parseAllDocuments(bundleFile(stdin, "/etc/kubeadm-ha/kubeadm.yaml")!.content).map((d) => d.toJS());
      expect(kubeadm.find((d) => d.kind === "KubeletConfiguration").serverTLSBootstrap).toBe(true);
      expect(kubeadm.find((d) => d.kind === "ClusterConfiguration").apiServer.extraVolumes).toHaveLength(4);
    }
    // one key for the whole cluster: every apiserver reads what any other wrote
    expect(keys.size).toBe(1);
    // workers get none of it
    expect(bundleFile(step("kha-workers-node-4-join").inputs.stdin, "/etc/kubernetes/encryption/config.yaml")).toBeUndefined();
  });

  it("the encryption key is secret and appears in no command string, environment or other step", async () => {
    const cluster = await build();
    const key = await resolve(cluster.pki.secretsEncryptionKey);
    expect(await pulumi.isSecret(cluster.pki.secretsEncryptionKey)).toBe(true);
    expect(recorded.filter((r) => r.type === "tls:index/privateKey:PrivateKey" && r.inputs.algorithm === "ED25519")).toHaveLength(1);
    for (const name of CONTROL_PLANE_STEPS) expect(wasSecret(step(name).raw.stdin)).toBe(true);
    for (const r of recorded.filter((c) => c.type.startsWith("command:"))) {
      for (const field of ["create", "update", "delete", "environment"]) expect(JSON.stringify(r.inputs[field] ?? "")).not.toContain(key);
      // in stdin it is base64 inside the bundle only, never as plain text
      expect(String(r.inputs.stdin ?? "")).not.toContain(key);
    }
  });

  it("turned off: no approver, no audit or authentication config, the key kept after identity, and a warning per key", async () => {
    const warn = jest.spyOn(pulumi.log, "warn").mockResolvedValue();
    await build({
      kubernetesVersion: "1.33.4",
      hardening: { kubeletServingCerts: false, secretsEncryption: false, auditLog: false, anonymousAuthHealthOnly: false },
    });
    const stdin = step("kha-cp-node-1-init").inputs.stdin as string;
    expect(bundleFile(stdin, "/etc/kubeadm-ha/hardening.env")!.content).toContain("KHA_KUBELET_SERVING_CERTS=false");
    expect(bundleFile(stdin, "/opt/kubeadm-ha/scripts/kubelet-csr-approver-install.sh")).toBeDefined(); // it removes the approver
    for (const gone of [
      "/opt/kubeadm-ha/scripts/kubelet-csr-approve.sh",
      "/etc/systemd/system/kubeadm-ha-kubelet-csr-approver.timer",
      "/etc/kubernetes/audit/policy.yaml",
      "/etc/kubernetes/authentication/config.yaml",
    ]) {
      expect(bundleFile(stdin, gone)).toBeUndefined();
    }
    const providers = parse(bundleFile(stdin, "/etc/kubernetes/encryption/config.yaml")!.content).resources[0].providers;
    expect(Object.keys(providers[0])).toEqual(["identity"]);
    expect(Object.keys(providers[1])).toEqual(["secretbox"]);
    const messages = warn.mock.calls.map((c) => String(c[0]));
    for (const key of ["kubeletServingCerts", "secretsEncryption", "auditLog", "anonymousAuthHealthOnly"]) {
      expect(messages.filter((m) => m.startsWith(`kubeadm-ha:hardening.${key} is false`))).toHaveLength(1);
    }
    warn.mockRestore();
  });

  it("says nothing when every default is on", async () => {
    const warn = jest.spyOn(pulumi.log, "warn").mockResolvedValue();
    await build();
    expect(warn.mock.calls.filter((c) => String(c[0]).includes("hardening"))).toEqual([]);
    warn.mockRestore();
  });
});
