// The service load balancer add-on: ports, image, which nodes, routes, optional DNS.

import { isObject, Reader } from "../reader";
import type { HostSpec, ProviderName, ServiceLoadBalancerConfig, ServiceRoute } from "../types";
import { DNS_LABEL, isDnsName, KINDS } from "./patterns";

export function readServiceLoadBalancer(
  r: Reader,
  value: unknown,
  provider: ProviderName | undefined,
  hosts: HostSpec[],
  workerCount: number,
): ServiceLoadBalancerConfig {
  const obj = r.object(value, "serviceLoadBalancer");
  const key = "serviceLoadBalancer";
  r.allowKeys(obj, key, ["enabled", "httpNodePort", "httpsNodePort", "image", "routes", "nodeCount", "dnsZone", "dnsName"]);
  const config: ServiceLoadBalancerConfig = {
    enabled: r.bool(obj.enabled, `${key}.enabled`, true),
    httpNodePort: r.int(obj.httpNodePort, `${key}.httpNodePort`, 30800, 30000, 32767),
    httpsNodePort: r.int(obj.httpsNodePort, `${key}.httpsNodePort`, 30443, 30000, 32767),
    image: r.text(obj.image, `${key}.image`, KINDS.image, "docker.io/library/haproxy:3.2.4-alpine"),
    routes: readRoutes(r, obj.routes, `${key}.routes`),
    nodeCount: r.int(obj.nodeCount, `${key}.nodeCount`, 1, 0, 100),
    dnsZone: r.text(obj.dnsZone, `${key}.dnsZone`, KINDS.dnsName),
    dnsName: r.text(obj.dnsName, `${key}.dnsName`, KINDS.dnsName),
  };
  if (config.httpNodePort === config.httpsNodePort) {
    r.fail(`${key}.httpsNodePort`, `equals httpNodePort (${config.httpNodePort})`, "use two different NodePorts, e.g. 30800 and 30443");
  }
  if (config.enabled) {
    const lbNodes =
      provider === "baremetal" ? hosts.filter((h) => h.roles.includes("loadbalancer")).length : Math.min(config.nodeCount, workerCount);
    if (provider === "baremetal" && lbNodes === 0 && hosts.length > 0) {
      r.fail(
        key,
        "is enabled but no host has the loadbalancer role",
        "add 'loadbalancer' to some workers' roles, or set serviceLoadBalancer.enabled: false",
      );
    }
    const cloud = provider === "digitalocean" || provider === "aws"; // (no provider: machines not known here)
    if (cloud && (config.nodeCount === 0 || config.nodeCount > workerCount)) {
      r.fail(
        `${key}.nodeCount`,
        `${config.nodeCount} load-balancer nodes cannot be taken from ${workerCount} workers`,
        "set nodeCount between 1 and workerCount, or disable serviceLoadBalancer",
      );
    }
  }
  if ((config.dnsZone === undefined) !== (config.dnsName === undefined)) {
    r.fail(`${key}.dnsZone`, "dnsZone and dnsName go together", "set both (e.g. dnsZone: example.com, dnsName: apps) or neither");
  }
  if (config.dnsZone && provider === "baremetal") {
    r.fail(
      `${key}.dnsZone`,
      "DNS records are managed only on digitalocean and aws",
      "remove dnsZone/dnsName and point your own DNS at the load-balancer hosts",
    );
  }
  return config;
}

export function readRoutes(r: Reader, value: unknown, key: string): ServiceRoute[] {
  const routes: ServiceRoute[] = [];
  r.list(value, key).forEach((item, i) => {
    const k = `${key}[${i}]`;
    if (!isObject(item)) {
      r.fail(k, "expected a mapping with host, service and port", "e.g. {host: app.example.com, service: web, port: 80}");
      return;
    }
    r.allowKeys(item, k, ["host", "service", "namespace", "port", "tlsPort"]);
    const host = r.string(item.host, `${k}.host`) ?? "";
    if (!isDnsName(host)) r.fail(`${k}.host`, `'${host}' is not a DNS name`, "set the host name clients send");
    const service = r.string(item.service, `${k}.service`) ?? "";
    if (!DNS_LABEL.test(service)) r.fail(`${k}.service`, `'${service}' is not a Service name`, "name an in-cluster Service");
    routes.push({
      host,
      service,
      namespace: r.text(item.namespace, `${k}.namespace`, KINDS.dnsLabel, "default"),
      port: r.int(item.port, `${k}.port`, 80, 1, 65535),
      tlsPort: item.tlsPort === undefined ? undefined : r.int(item.tlsPort, `${k}.tlsPort`, 443, 1, 65535),
    });
  });
  const seen = new Set<string>();
  routes.forEach((route, i) => {
    if (seen.has(route.host)) r.fail(`${key}[${i}].host`, `${route.host} is routed twice`, "keep one route per host name");
    seen.add(route.host);
  });
  return routes;
}
