import { parseAllDocuments, parse } from "yaml";
import { clusterSpec } from "../../config/clusterSpec";
import type { ApiEndpointConfig, HardeningConfig } from "../../config/types";
import {
  ClusterSettings,
  controlPlaneEndpoint,
  renderDiscoveryKubeconfig,
  renderInitConfig,
  renderJoinConfig,
  renderJoinDiscoveryFile,
} from "./kubeadm";

const proxy: ApiEndpointConfig = { mode: "nginx-proxy", port: 6443, vipImplementation: "keepalived", vipInterface: "eth0" };
/** what a stack gets without asking: every security default on */
const HARDENED: HardeningConfig = clusterSpec().hardening;
const SOFT: HardeningConfig = {
  ...HARDENED,
  kubeletServingCerts: false,
  secretsEncryption: false,
  auditLog: false,
  anonymousAuthHealthOnly: false,
};

function settings(over: Partial<ClusterSettings> = {}): ClusterSettings {
  return {
    clusterName: "lab",
    kubernetesVersion: "1.34.1",
    imageRepository: "registry.k8s.io",
    podCidr: "10.244.0.0/16",
    serviceCidr: "10.96.0.0/12",
    endpoint: proxy,
    leaderElection: { leaseDuration: "15s", renewDeadline: "10s", retryPeriod: "2s" },
    etcdEndpoints: ["https://10.77.0.11:2379", "https://10.77.0.12:2379", "https://10.77.0.13:2379"],
    ignorePreflightErrors: ["SystemVerification"],
    hardening: HARDENED,
    ...over,
  };
}

function docs(text: string): Record<string, any> {
  return Object.fromEntries(
    parseAllDocuments(text)
      .map((d) => d.toJS())
      .map((d) => [d.kind, d]),
  );
}

const argsOf = (list: { name: string; value: string }[]) => Object.fromEntries(list.map((a) => [a.name, a.value]));

describe("kubeadm init configuration", () => {
  const node = { name: "cp-1", ip: "10.77.0.11", roles: ["control-plane", "etcd"] as const };

  it("points at external etcd with the apiserver's client certificate (stacked placement)", () => {
    const d = docs(renderInitConfig(settings(), { ...node, roles: [...node.roles] }));
    expect(d.ClusterConfiguration.etcd).toEqual({
      external: {
        endpoints: ["https://10.77.0.11:2379", "https://10.77.0.12:2379", "https://10.77.0.13:2379"],
        caFile: "/etc/kubernetes/pki/etcd/ca.crt",
        certFile: "/etc/kubernetes/pki/apiserver-etcd-client.crt",
        keyFile: "/etc/kubernetes/pki/apiserver-etcd-client.key",
      },
    });
    expect(d.InitConfiguration.localAPIEndpoint).toEqual({ advertiseAddress: "10.77.0.11", bindPort: 6443 });
    expect(d.InitConfiguration.skipPhases).toBeUndefined();
    expect(d.ClusterConfiguration.networking).toMatchObject({ podSubnet: "10.244.0.0/16", serviceSubnet: "10.96.0.0/12" });
    expect(d.KubeletConfiguration.cgroupDriver).toBe("systemd");
    expect(d.KubeProxyConfiguration.conntrack.maxPerCore).toBe(0);
  });

  it("uses the dedicated members' endpoints for external etcd", () => {
    const external = ["https://10.77.0.21:2379", "https://10.77.0.22:2379", "https://10.77.0.23:2379"];
    const d = docs(renderInitConfig(settings({ etcdEndpoints: external }), { name: "cp-1", ip: "10.77.0.11", roles: ["control-plane"] }));
    expect(d.ClusterConfiguration.etcd.external.endpoints).toEqual(external);
  });

  it("sets leader election for controller-manager and scheduler", () => {
    const d = docs(
      renderInitConfig(settings({ leaderElection: { leaseDuration: "20s", renewDeadline: "12s", retryPeriod: "3s" } }), {
        ...node,
        roles: [...node.roles],
      }),
    );
    for (const component of ["controllerManager", "scheduler"]) {
      expect(argsOf(d.ClusterConfiguration[component].extraArgs)).toMatchObject({
        "leader-elect": "true",
        "leader-elect-lease-duration": "20s",
        "leader-elect-renew-deadline": "12s",
        "leader-elect-retry-period": "3s",
      });
    }
    expect(argsOf(d.ClusterConfiguration.controllerManager.extraArgs)["cluster-cidr"]).toBe("10.244.0.0/16");
  });

  it.each([
    [proxy, "localhost:6443"],
    [{ ...proxy, mode: "vip", address: "10.77.0.100" } as ApiEndpointConfig, "10.77.0.100:6443"],
    [{ ...proxy, mode: "external", address: "api.example.com", port: 443 } as ApiEndpointConfig, "api.example.com:443"],
  ])("controlPlaneEndpoint for %j is %s", (endpoint, expected) => {
    expect(controlPlaneEndpoint(endpoint)).toBe(expected);
    const d = docs(renderInitConfig(settings({ endpoint }), { ...node, roles: [...node.roles] }));
    expect(d.ClusterConfiguration.controlPlaneEndpoint).toBe(expected);
  });

  it("taints pure control planes only", () => {
    const pure = docs(renderInitConfig(settings(), { ...node, roles: ["control-plane"] }));
    expect(pure.InitConfiguration.nodeRegistration.taints).toEqual([
      { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" },
    ]);
    const mixed = docs(renderInitConfig(settings(), { ...node, roles: ["control-plane", "worker"] }));
    expect(mixed.InitConfiguration.nodeRegistration.taints).toEqual([]);
  });
});

describe("kubeadm init configuration: the security defaults", () => {
  const node = { name: "cp-1", ip: "10.77.0.11", roles: ["control-plane" as const] };
  const apiServer = (h: HardeningConfig) => docs(renderInitConfig(settings({ hardening: h }), node)).ClusterConfiguration.apiServer;

  it("on: kubelets bootstrap serving certificates the apiserver verifies with the cluster CA", () => {
    const d = docs(renderInitConfig(settings(), node));
    expect(d.KubeletConfiguration.serverTLSBootstrap).toBe(true);
    expect(argsOf(d.ClusterConfiguration.apiServer.extraArgs)["kubelet-certificate-authority"]).toBe("/etc/kubernetes/pki/ca.crt");
  });

  it("on: encryption, audit log with rotation and the authentication config, each file mounted", () => {
    const api = apiServer({ ...HARDENED, auditLogMaxAgeDays: 30, auditLogMaxBackups: 10, auditLogMaxSizeMb: 200 });
    expect(argsOf(api.extraArgs)).toMatchObject({
      "service-cluster-ip-range": "10.96.0.0/12",
      "encryption-provider-config": "/etc/kubernetes/encryption/config.yaml",
      "audit-policy-file": "/etc/kubernetes/audit/policy.yaml",
      "audit-log-path": "/var/log/kubernetes/audit/audit.log",
      "audit-log-maxage": "30",
      "audit-log-maxbackup": "10",
      "audit-log-maxsize": "200",
      "authentication-config": "/etc/kubernetes/authentication/config.yaml",
    });
    // --anonymous-auth and an authentication config's anonymous section exclude each other
    expect(argsOf(api.extraArgs)["anonymous-auth"]).toBeUndefined();
    const byPath = Object.fromEntries(api.extraVolumes.map((v: any) => [v.mountPath, v]));
    expect(byPath["/etc/kubernetes/encryption"]).toEqual({
      name: "kubeadm-ha-encryption",
      hostPath: "/etc/kubernetes/encryption",
      mountPath: "/etc/kubernetes/encryption",
      readOnly: true,
      pathType: "Directory",
    });
    expect(byPath["/etc/kubernetes/audit"].readOnly).toBe(true);
    expect(byPath["/etc/kubernetes/authentication"].readOnly).toBe(true);
    expect(byPath["/var/log/kubernetes/audit"]).toMatchObject({ readOnly: false, pathType: "DirectoryOrCreate" });
    // every file an argument names is inside a mounted directory
    for (const file of ["encryption-provider-config", "audit-policy-file", "audit-log-path", "authentication-config"]) {
      const dir = argsOf(api.extraArgs)[file].replace(/\/[^/]+$/, "");
      expect(byPath[dir]).toBeDefined();
    }
    expect(new Set(api.extraVolumes.map((v: any) => v.name)).size).toBe(api.extraVolumes.length);
  });

  it("off: none of them, except the encryption config (Secrets written while it was on stay readable)", () => {
    const d = docs(renderInitConfig(settings({ hardening: SOFT }), node));
    expect(d.KubeletConfiguration.serverTLSBootstrap).toBe(false);
    const args = argsOf(d.ClusterConfiguration.apiServer.extraArgs);
    expect(Object.keys(args).sort()).toEqual(["encryption-provider-config", "service-cluster-ip-range"]);
    expect(d.ClusterConfiguration.apiServer.extraVolumes.map((v: any) => v.name)).toEqual(["kubeadm-ha-encryption"]);
  });
});

describe("kubeadm join configuration", () => {
  it("a worker: token discovery pinned to the CA hash, kubelet on its own IP", () => {
    const join = parse(
      renderJoinConfig(
        { discoveryEndpoint: "localhost:6443", token: "abcdef.0123456789abcdef", caCertHash: "sha256:00", ignorePreflightErrors: [] },
        { name: "w-1", ip: "10.77.0.14", roles: ["worker"] },
      ),
    );
    expect(join.discovery.bootstrapToken).toEqual({
      apiServerEndpoint: "localhost:6443",
      token: "abcdef.0123456789abcdef",
      caCertHashes: ["sha256:00"],
    });
    expect(join.controlPlane).toBeUndefined();
    expect(argsOf(join.nodeRegistration.kubeletExtraArgs)).toEqual({ "node-ip": "10.77.0.14" });
  });

  it("a control plane: file discovery, its own endpoint, no certificate key (certificates are pre-placed)", () => {
    const join = parse(
      renderJoinConfig(
        {
          discoveryEndpoint: "10.77.0.11:6443",
          token: "abcdef.0123456789abcdef",
          caCertHash: "sha256:00",
          ignorePreflightErrors: [],
          controlPlane: { advertiseAddress: "10.77.0.12", bindPort: 6443 },
        },
        { name: "cp-2", ip: "10.77.0.12", roles: ["control-plane"] },
      ),
    );
    expect(join.controlPlane).toEqual({ localAPIEndpoint: { advertiseAddress: "10.77.0.12", bindPort: 6443 } });
    expect(join.discovery).toEqual({
      file: { kubeConfigPath: "/etc/kubeadm-ha/discovery.conf" },
      tlsBootstrapToken: "abcdef.0123456789abcdef",
    });
    const file = parse(renderDiscoveryKubeconfig("https://10.77.0.11:6443", "-----BEGIN CERTIFICATE-----\nx\n"));
    expect(file.clusters[0].cluster.server).toBe("https://10.77.0.11:6443");
    expect(file.users).toEqual([{ name: "discovery", user: {} }]);
  });

  const CA = "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n";
  const workerJoin = {
    discoveryEndpoint: "localhost:6443",
    token: "abcdef.0123456789abcdef",
    caCertHash: "sha256:00",
    ignorePreflightErrors: [],
  };
  const worker = { name: "w-1", ip: "10.77.0.14", roles: ["worker" as const] };

  it("a worker under anonymousAuthHealthOnly: file discovery through its own endpoint, the CA in the file", () => {
    const join = parse(renderJoinConfig({ ...workerJoin, fileDiscovery: true }, worker));
    expect(join.discovery).toEqual({ file: { kubeConfigPath: "/etc/kubeadm-ha/discovery.conf" }, tlsBootstrapToken: workerJoin.token });
    const file = parse(renderJoinDiscoveryFile({ ...workerJoin, fileDiscovery: true }, CA)!);
    expect(file.clusters[0].cluster.server).toBe("https://localhost:6443");
    expect(Buffer.from(file.clusters[0].cluster["certificate-authority-data"], "base64").toString()).toBe(CA);
    // the token is the file's credential: kubeadm reads cluster-info with it (a 403 it tolerates,
    // where an anonymous read is a 401 it retries until it gives up)
    expect(file.users).toEqual([{ name: "discovery", user: { token: workerJoin.token } }]);
    expect(file.contexts[0].context).toEqual({ cluster: "kubernetes", user: "discovery" });
  });

  it("a worker otherwise: token discovery, and no discovery file", () => {
    expect(parse(renderJoinConfig(workerJoin, worker)).discovery.bootstrapToken.caCertHashes).toEqual(["sha256:00"]);
    expect(renderJoinDiscoveryFile(workerJoin, CA)).toBeUndefined();
  });

  it("a control plane: its discovery file names the first apiserver and carries the token", () => {
    const cp = { ...workerJoin, discoveryEndpoint: "10.77.0.11:6443", controlPlane: { advertiseAddress: "10.77.0.12", bindPort: 6443 } };
    const file = parse(renderJoinDiscoveryFile(cp, CA)!);
    expect(file.clusters[0].cluster.server).toBe("https://10.77.0.11:6443");
    expect(file.users[0].user.token).toBe(workerJoin.token);
  });
});

import { tokenFromStdout } from "../join";

describe("bootstrap token from the token step", () => {
  it("takes the last line, after put-files' report", () => {
    expect(tokenFromStdout("changed /opt/kubeadm-ha/scripts/kubeadm-token.sh\nabcdef.0123456789abcdef\n", "w-1")).toBe(
      "abcdef.0123456789abcdef",
    );
  });

  it("refuses anything that is not a token, without echoing it", () => {
    expect(() => tokenFromStdout("changed /x\nnot-a-token-value\n", "w-1")).toThrow(/printed no bootstrap token for w-1$/);
    try {
      tokenFromStdout("secretish.value", "w-1");
    } catch (e) {
      expect(String(e)).not.toContain("secretish");
    }
  });
});
