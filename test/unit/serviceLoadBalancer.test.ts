// The NodePort service load balancer under mocks.

import * as pulumi from "@pulumi/pulumi";
import { ofType, recorded, resetRecorded, resolve, settle, setupMocks } from "./harness";

setupMocks();

import { ServiceLoadBalancer } from "../../components/serviceLoadBalancer";
import type { ClusterConfig } from "../../config/types";
import { loadBalancerDnsRecords } from "../../providers/dns";
import type { ClusterNode } from "../../providers/node";

function node(name: string, ip: string, publicIp?: string): ClusterNode {
  return { name, roles: ["worker", "loadbalancer"], privateIp: ip, publicIp, connection: { host: ip }, ready: [] };
}

const routes = [
  { host: "shop.example.com", service: "shop", namespace: "web", port: 8080 },
  { host: "api.example.com", service: "api", namespace: "default", port: 80, tlsPort: 443 },
  { host: "docs.example.com", service: "docs", namespace: "default", port: 80 },
];

async function build(extra: Partial<ConstructorParameters<typeof ServiceLoadBalancer>[1]> = {}) {
  resetRecorded();
  const slb = new ServiceLoadBalancer("slb", {
    kubeconfig: pulumi.secret("apiVersion: v1\nkind: Config\n"),
    nodes: [node("w-1", "10.0.0.4", "203.0.113.4"), node("w-2", "10.0.0.5", "203.0.113.5")],
    routes,
    httpNodePort: 30800,
    httpsNodePort: 30443,
    image: "docker.io/library/haproxy:3.2.4-alpine",
    ...extra,
  });
  await resolve(slb.service.id);
  await settle();
  return slb;
}

describe("ServiceLoadBalancer", () => {
  it("labels exactly the chosen nodes role=loadbalancer", async () => {
    await build();
    const patches = ofType("kubernetes:core/v1:NodePatch");
    expect(patches.map((p) => [p.inputs.metadata.name, p.inputs.metadata.labels])).toEqual([
      ["w-1", { role: "loadbalancer" }],
      ["w-2", { role: "loadbalancer" }],
    ]);
  });

  it("runs a DaemonSet only on role=loadbalancer nodes, with probes and requests", async () => {
    await build();
    const [ds] = ofType("kubernetes:apps/v1:DaemonSet");
    const pod = ds.inputs.spec.template.spec;
    expect(pod.nodeSelector).toEqual({ role: "loadbalancer" });
    const [container] = pod.containers;
    expect(container.image).toBe("docker.io/library/haproxy:3.2.4-alpine");
    expect(container.readinessProbe.httpGet).toEqual({ path: "/healthz", port: 8080 });
    expect(container.livenessProbe.httpGet.path).toBe("/healthz");
    expect(container.resources.requests).toEqual({ cpu: "50m", memory: "64Mi" });
  });

  it("exposes one NodePort service with the configured ports", async () => {
    await build({ httpNodePort: 31080, httpsNodePort: 31443 });
    const [svc] = ofType("kubernetes:core/v1:Service");
    expect(svc.inputs.spec.type).toBe("NodePort");
    expect(svc.inputs.spec.selector).toEqual({ app: "service-loadbalancer" });
    expect(svc.inputs.spec.ports.map((p: any) => [p.name, p.port, p.nodePort])).toEqual([
      ["http", 80, 31080],
      ["https", 443, 31443],
    ]);
  });

  it("renders every route into the proxy config it mounts", async () => {
    await build();
    const cfg = ofType("kubernetes:core/v1:ConfigMap")[0].inputs.data["haproxy.cfg"];
    for (const route of routes) {
      expect(cfg).toContain(`-i ${route.host}`);
      expect(cfg).toContain(`${route.service}.${route.namespace}.svc.cluster.local:${route.port}`);
    }
  });

  it("uses an explicit Kubernetes provider built from the cluster kubeconfig, never the ambient one", async () => {
    await build();
    const providers = ofType("pulumi:providers:kubernetes");
    expect(providers).toHaveLength(1);
    expect(providers[0].inputs.kubeconfig).toContain("kind: Config");
    expect(providers[0].inputs.deleteUnreachable).toBe("true");
    expect(providers[0].inputs.enableConfigMapMutable).toBe("true");
    const k8s = recorded.filter((r) => r.type.startsWith("kubernetes:"));
    expect(k8s.length).toBeGreaterThanOrEqual(6);
    for (const r of k8s) expect(r.provider).toMatch(/pulumi:providers:kubernetes::slb-k8s::/);
  });

  // DNS is the providers' job (providers/dns.ts); the records stay under the load balancer, so
  // their URNs are the ones stacks made before it moved.
  const cloud = (provider: "digitalocean" | "aws") =>
    ({
      provider,
      aws: provider === "aws" ? { region: "eu-central-1" } : undefined,
      serviceLoadBalancer: { dnsZone: "example.com", dnsName: "apps" },
    }) as unknown as ClusterConfig;

  it("creates one DNS record per load-balancer node under the load balancer (DigitalOcean)", async () => {
    const slb = await build();
    const created = loadBalancerDnsRecords({ config: cloud("digitalocean"), nodes: slb.nodes, name: "slb", parent: slb });
    await settle();
    const records = ofType("digitalocean:index/dnsRecord:DnsRecord");
    expect(records.map((r) => [r.inputs.name, r.inputs.type, r.inputs.value])).toEqual([
      ["apps", "A", "203.0.113.4"],
      ["apps", "A", "203.0.113.5"],
    ]);
    expect(await resolve(created[0].urn)).toMatch(
      /kubeadm-ha:serviceLoadBalancer:ServiceLoadBalancer\$digitalocean:index\/dnsRecord:DnsRecord::slb-dns-w-1$/,
    );
  });

  it("creates one multivalue record per load-balancer node (Route 53)", async () => {
    const slb = await build();
    loadBalancerDnsRecords({ config: cloud("aws"), nodes: slb.nodes, name: "slb", parent: slb });
    await settle();
    const records = ofType("aws:route53/record:Record");
    expect(records.map((r) => [r.inputs.name, r.inputs.records, r.inputs.setIdentifier, r.inputs.multivalueAnswerRoutingPolicy])).toEqual([
      ["apps.example.com", ["203.0.113.4"], "w-1", true],
      ["apps.example.com", ["203.0.113.5"], "w-2", true],
    ]);
    expect(records.every((r) => r.inputs.zoneId === "Z123EXAMPLE")).toBe(true);
  });

  it("makes no DNS records on bare metal or without a zone", async () => {
    const slb = await build();
    expect(
      loadBalancerDnsRecords({ config: { ...cloud("digitalocean"), provider: "baremetal" }, nodes: slb.nodes, name: "slb", parent: slb }),
    ).toEqual([]);
    const noZone = { ...cloud("aws"), serviceLoadBalancer: { dnsZone: undefined, dnsName: "apps" } } as unknown as ClusterConfig;
    expect(loadBalancerDnsRecords({ config: noZone, nodes: slb.nodes, name: "slb", parent: slb })).toEqual([]);
  });
});
