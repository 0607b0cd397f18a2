// The metrics add-on under mocks: what the apiserver and metrics-server each verify, and where it
// sits in the cluster's order.

import * as pulumi from "@pulumi/pulumi";
import {
  FIXTURE_CA_HASH,
  KEY_MARKER,
  ofType,
  plain,
  registeredDependsOn,
  resetRecorded,
  resolve,
  settle,
  setupMocks,
  wasSecret,
} from "./harness";

setupMocks();

import { MetricsServer, METRICS_SERVICE_DNS, metricsServerArgs } from "../../components/metricsServer";
import { Cluster } from "../../components/cluster";
import { clusterSpecOf } from "../../config/clusterSpec";
import { validateConfig } from "../../config/validate";
import { createInfrastructure } from "../../providers";
import type { Raw } from "../../config/reader";
import { TEST_HOST_KEY } from "./hostKey";

async function build(verifyKubelets = true) {
  resetRecorded();
  const ms = new MetricsServer("ms", {
    kubeconfig: pulumi.secret("apiVersion: v1\nkind: Config\n"),
    image: "registry.k8s.io/metrics-server/metrics-server:v0.8.0",
    verifyKubelets,
    validityHours: 8760,
    earlyRenewalHours: 720,
  });
  await resolve(ms.apiService.id);
  await settle();
  return ms;
}

describe("MetricsServer", () => {
  it("registers the metrics API with the CA of its own serving certificate, never insecureSkipTLSVerify", async () => {
    await build();
    const [api] = ofType("kubernetes:apiregistration.k8s.io/v1:APIService");
    expect(api.inputs.metadata.name).toBe("v1beta1.metrics.k8s.io");
    expect(api.inputs.spec.insecureSkipTLSVerify).toBeUndefined();
    const [ca] = ofType("tls:index/selfSignedCert:SelfSignedCert");
    expect(ca.inputs.isCaCertificate).toBe(true);
    const caPem = Buffer.from(api.inputs.spec.caBundle, "base64").toString();
    expect(caPem).toContain("BEGIN CERTIFICATE");
    // the serving certificate is for the name the apiserver dials, signed by that CA
    const [csr] = ofType("tls:index/certRequest:CertRequest");
    expect(csr.inputs.dnsNames).toEqual([METRICS_SERVICE_DNS]);
    const [signed] = ofType("tls:index/locallySignedCert:LocallySignedCert");
    expect(signed.inputs.caCertPem).toBe(caPem);
    expect(signed.inputs.allowedUses).toContain("server_auth");
  });

  it("keeps the serving key secret and mounts it; the pods roll when the certificate changes", async () => {
    await build();
    const [secret] = ofType("kubernetes:core/v1:Secret");
    expect(wasSecret(secret.raw.stringData["tls.key"]) || wasSecret(secret.raw.stringData)).toBe(true);
    expect(plain(secret.inputs.stringData)["tls.key"]).toContain(`${KEY_MARKER}-ms-key`);
    const [deployment] = ofType("kubernetes:apps/v1:Deployment");
    const pod = deployment.inputs.spec.template;
    expect(pod.metadata.annotations["kubeadm-ha/cert-sha256"]).toMatch(/^[0-9a-f]{64}$/);
    const container = pod.spec.containers[0];
    expect(container.args).toEqual(expect.arrayContaining(["--tls-cert-file=/certs/tls.crt", "--tls-private-key-file=/certs/tls.key"]));
    expect(pod.spec.volumes).toContainEqual({ name: "certs", secret: { secretName: "metrics-server-tls" } });
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
  });

  it("checks the kubelets' certificates against the cluster CA when kubelets serve CA-signed ones", async () => {
    await build(true);
    const [deployment] = ofType("kubernetes:apps/v1:Deployment");
    const pod = deployment.inputs.spec.template.spec;
    expect(pod.containers[0].args).toContain("--kubelet-certificate-authority=/kubelet-ca/ca.crt");
    expect(pod.containers[0].args).not.toContain("--kubelet-insecure-tls");
    expect(pod.volumes).toContainEqual({ name: "kubelet-ca", configMap: { name: "kube-root-ca.crt" } });
  });

  it("without CA-signed kubelet certificates it cannot, and the flag says so", () => {
    expect(metricsServerArgs(false)).toContain("--kubelet-insecure-tls");
    expect(metricsServerArgs(false).some((a) => a.startsWith("--kubelet-certificate-authority"))).toBe(false);
  });

  it("lets readers of pods read their metrics (aggregated into view, edit, admin)", async () => {
    await build();
    const reader = ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").find(
      (r) => r.inputs.metadata.name === "system:aggregated-metrics-reader",
    )!;
    expect(reader.inputs.metadata.labels["rbac.authorization.k8s.io/aggregate-to-view"]).toBe("true");
    expect(reader.inputs.rules).toEqual([{ apiGroups: ["metrics.k8s.io"], resources: ["pods", "nodes"], verbs: ["get", "list", "watch"] }]);
  });
});

function host(i: number, roles: string[]) {
  return {
    name: `node-${i}`,
    address: `10.77.0.${10 + i}`,
    roles,
    hostKey: i === 1 ? TEST_HOST_KEY : `ssh-ed25519 ${Buffer.from(`k${i}`).toString("base64")}`,
  };
}

async function cluster(extra: Raw = {}) {
  setupMocks("test");
  resetRecorded();
  const raw: Raw = {
    provider: "baremetal",
    cni: "bridge",
    hosts: [host(1, ["control-plane"]), host(2, ["control-plane"]), host(3, ["control-plane"]), host(4, ["worker"]), host(5, ["worker"])],
    serviceLoadBalancer: { enabled: false },
    ...extra,
  };
  const config = validateConfig(raw, { sshPrivateKey: true });
  const infra = createInfrastructure(config.clusterName, config, pulumi.secret("key"));
  const c = new Cluster(config.clusterName, { nodes: infra.nodes, spec: clusterSpecOf(config), runningKubernetesVersion: null });
  if (c.kubeconfig) await resolve(c.kubeconfig);
  await settle();
  return c;
}

describe("metrics-server in the cluster", () => {
  it("is on by default, after the first worker joined with its pod network, not after every worker or control plane", async () => {
    const c = await cluster();
    expect(c.metricsServer).toBeDefined();
    const deps = registeredDependsOn.get("kubeadm-ha-metrics-deployment") ?? [];
    expect(deps).toContain("kubeadm-ha-workers-node-4-join");
    expect(deps).toContain("kubeadm-ha-cni-node-4");
    expect(deps).not.toContain("kubeadm-ha-workers-node-5-join");
    expect(deps).not.toContain("kubeadm-ha-cni-node-5");
    expect(deps).toContain("kubeadm-ha-cp-node-1-init");
    expect(deps).not.toContain("kubeadm-ha-cp-node-2-join");
    // the cluster's CA identifies its provider, as for the service load balancer
    const provider = ofType("pulumi:providers:kubernetes").find((p) => p.name === "kubeadm-ha-metrics-k8s")!;
    expect(provider.inputs.clusterIdentifier).toBe(`kubeadm-ha/${FIXTURE_CA_HASH}`);
  });

  it("is left out with addons.metricsServer.enabled: false, and stopAfter names it as the last phase", async () => {
    const c = await cluster({ addons: { metricsServer: { enabled: false } } });
    expect(c.metricsServer).toBeUndefined();
    expect(ofType("kubernetes:apiregistration.k8s.io/v1:APIService")).toHaveLength(0);
    const config = validateConfig(
      { provider: "baremetal", hosts: [host(1, ["control-plane"])], cni: "bridge", serviceLoadBalancer: { enabled: false } },
      { sshPrivateKey: true },
    );
    expect(config.stopAfter).toBe("metrics-server");
  });

  it("refuses unknown keys and images that are not image references, naming the key", () => {
    const base = { provider: "baremetal", hosts: [host(1, ["control-plane"])], cni: "bridge", serviceLoadBalancer: { enabled: false } };
    expect(() => validateConfig({ ...base, addons: { metricServer: {} } }, { sshPrivateKey: true })).toThrow(
      /addons\.metricServer.*did you mean 'metricsServer'/s,
    );
    expect(() => validateConfig({ ...base, addons: { metricsServer: { image: "bad image; rm -rf /" } } }, { sshPrivateKey: true })).toThrow(
      /addons\.metricsServer\.image/,
    );
  });
});
