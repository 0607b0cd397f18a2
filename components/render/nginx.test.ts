import { renderNginxProxyConf, renderProxyUnit } from "./nginx";

describe("apiserver proxy nginx.conf", () => {
  const conf = renderNginxProxyConf({ upstreams: ["10.77.0.13", "10.77.0.11", "10.77.0.12"], apiPort: 6443, listenPort: 6443 });

  it("lists every control plane once, in a stable order", () => {
    const servers = conf.split("\n").filter((l) => l.trim().startsWith("server 10."));
    expect(servers.map((l) => l.trim().split(" ")[1])).toEqual(["10.77.0.11:6443", "10.77.0.12:6443", "10.77.0.13:6443"]);
  });

  it("listens on localhost only and fails over quickly", () => {
    expect(conf).toContain("listen 127.0.0.1:6443;");
    expect(conf).not.toMatch(/listen (0\.0\.0\.0|\[::\]|6443)/);
    expect(conf).toContain("proxy_next_upstream on;");
    expect(conf).toContain("proxy_connect_timeout 1s;");
    expect(conf).toMatch(/max_fails=1 fail_timeout=10s/);
  });

  it("refuses an empty upstream list", () => {
    expect(() => renderNginxProxyConf({ upstreams: [], apiPort: 6443, listenPort: 6443 })).toThrow(/at least one apiserver/);
  });

  it("runs the configured image with the config mounted read-only", () => {
    const unit = renderProxyUnit("registry.local/nginx:1");
    expect(unit).toContain(
      "ctr -n k8s.io run --rm --net-host --mount type=bind,src=/etc/kubeadm-ha/apiserver-proxy,dst=/etc/kubeadm-ha-proxy,options=rbind:ro registry.local/nginx:1 kubeadm-ha-apiserver-proxy nginx -c /etc/kubeadm-ha-proxy/nginx.conf",
    );
  });
});
