import { renderHaproxyConfig } from "./haproxy";

describe("service load balancer HAProxy config", () => {
  const routes = [
    { host: "shop.example.com", service: "shop", namespace: "web", port: 8080 },
    { host: "api.example.com", service: "api", namespace: "default", port: 80, tlsPort: 443 },
    { host: "docs.example.com", service: "docs", namespace: "default", port: 80 },
  ];
  const cfg = renderHaproxyConfig(routes);

  it("routes each host name to its service by Host header", () => {
    for (const [host, backend, target] of [
      ["shop.example.com", "http_shop_example_com", "shop.web.svc.cluster.local:8080"],
      ["api.example.com", "http_api_example_com", "api.default.svc.cluster.local:80"],
      ["docs.example.com", "http_docs_example_com", "docs.default.svc.cluster.local:80"],
    ]) {
      const id = backend.replace("http_", "");
      expect(cfg).toContain(`acl host_${id} hdr(host),field(1,:) -i ${host}`);
      expect(cfg).toContain(`use_backend ${backend} if host_${id}`);
      expect(cfg).toMatch(new RegExp(`backend ${backend}\\n  server \\S+ ${target.replace(/\./g, "\\.")} resolvers cluster_dns`));
    }
  });

  it("passes TLS through by SNI only for routes with a TLS port", () => {
    expect(cfg).toContain("use_backend tls_api_example_com if { req_ssl_sni -i api.example.com }");
    expect(cfg).toContain("server api api.default.svc.cluster.local:443");
    expect(cfg).not.toContain("tls_shop_example_com");
  });

  it("answers unknown hosts with 404 and serves /healthz", () => {
    expect(cfg).toContain("default_backend no_route");
    expect(cfg).toMatch(/backend no_route\n  http-request return status 404/);
    expect(cfg).toContain("if { path /healthz }");
  });
});
