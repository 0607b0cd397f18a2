// The service load balancer's HAProxy configuration (pure): one HTTP frontend routing by Host
// header, one TCP frontend routing TLS by SNI (passthrough), each route to an in-cluster Service
// resolved through cluster DNS; unknown hosts get a 404. /healthz answers the kubelet's probes.

import type { ServiceRoute } from "../../config/types";
import { bareToken } from "./guard";

export const HTTP_CONTAINER_PORT = 8080;
export const HTTPS_CONTAINER_PORT = 8443;

function serviceAddress(route: ServiceRoute, port: number): string {
  return `${route.service}.${route.namespace}.svc.cluster.local:${port}`;
}

function id(route: ServiceRoute): string {
  return route.host.replace(/[^a-z0-9]/g, "_");
}

export function renderHaproxyConfig(routes: ServiceRoute[]): string {
  for (const r of routes) {
    bareToken(r.host, "a route's host");
    bareToken(r.service, `the service of route ${r.host}`);
    bareToken(r.namespace, `the namespace of route ${r.host}`);
  }
  const lines = [
    "# managed by kubeadm-ha: host-name routing to in-cluster services",
    "global",
    "  log stdout format raw local0 info",
    // two file descriptors per connection must fit the container's open-files limit
    "  maxconn 4096",
    "",
    "defaults",
    "  log global",
    "  mode http",
    "  option httplog",
    "  timeout connect 5s",
    "  timeout client 60s",
    "  timeout server 60s",
    "",
    "resolvers cluster_dns",
    "  parse-resolv-conf",
    "  hold valid 10s",
    "",
    "frontend http",
    `  bind :${HTTP_CONTAINER_PORT}`,
    "  http-request return status 200 content-type text/plain string ok if { path /healthz }",
  ];
  for (const route of routes) {
    lines.push(`  acl host_${id(route)} hdr(host),field(1,:) -i ${route.host}`);
    lines.push(`  use_backend http_${id(route)} if host_${id(route)}`);
  }
  lines.push("  default_backend no_route", "");
  lines.push(
    "frontend https",
    `  bind :${HTTPS_CONTAINER_PORT}`,
    "  mode tcp",
    "  option tcplog",
    "  tcp-request inspect-delay 5s",
    "  tcp-request content accept if { req_ssl_hello_type 1 }",
  );
  for (const route of routes.filter((r) => r.tlsPort !== undefined)) {
    lines.push(`  use_backend tls_${id(route)} if { req_ssl_sni -i ${route.host} }`);
  }
  lines.push("");
  for (const route of routes) {
    lines.push(
      `backend http_${id(route)}`,
      `  server ${route.service} ${serviceAddress(route, route.port)} resolvers cluster_dns init-addr none`,
      "",
    );
    if (route.tlsPort !== undefined) {
      lines.push(
        `backend tls_${id(route)}`,
        "  mode tcp",
        `  server ${route.service} ${serviceAddress(route, route.tlsPort)} resolvers cluster_dns init-addr none`,
        "",
      );
    }
  }
  lines.push("backend no_route", '  http-request return status 404 content-type text/plain string "no route for this host"', "");
  return lines.join("\n");
}
