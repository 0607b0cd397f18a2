import { bareToken } from "./guard";
import { renderEtcdEnv } from "./etcd";
import { renderHaproxyConfig } from "./haproxy";
import { renderContainerdConfig } from "./host";
import { renderKeepalivedConf } from "./keepalived";
import { renderNginxProxyConf, renderProxyUnit } from "./nginx";

const HOSTILE = ["nginx:1\nExecStartPre=/bin/sh -c id", "eth0 ; id", 'a"b', "$(id)", "`id`", "x\0y", "", "a".repeat(2000)];

describe("bareToken", () => {
  it("passes addresses, names, URLs and image references through unchanged", () => {
    for (const v of ["10.0.0.1", "kha-node-1", "https://10.0.0.1:2380", "registry.k8s.io/pause:3.10@sha256:" + "a".repeat(64), "a=b,c=d"]) {
      expect(bareToken(v, "x")).toBe(v);
    }
  });

  it("refuses anything that could end a token, naming what and the character", () => {
    for (const v of HOSTILE) expect(() => bareToken(v, "the thing")).toThrow(/refusing to write the thing into a host file/);
    expect(() => bareToken("a b", "the thing")).toThrow(/the character " "/);
  });
});

describe("every renderer of a format without quoting refuses a hostile value", () => {
  const member = { name: "m-1", ip: "10.0.0.1" };
  const vrrp = {
    vip: "10.0.0.100",
    interface: "eth0",
    routerId: 7,
    index: 0,
    peers: ["10.0.0.1", "10.0.0.2"],
    self: "10.0.0.1",
    apiPort: 6443,
  };
  const route = { host: "app.example.com", service: "web", namespace: "apps", port: 80 };
  it.each(HOSTILE)("%j", (bad) => {
    expect(() => renderProxyUnit(bad)).toThrow(/apiserver proxy image/);
    expect(() => renderNginxProxyConf({ upstreams: [bad], apiPort: 6443, listenPort: 6443 })).toThrow(/apiserver address/);
    expect(() => renderKeepalivedConf({ ...vrrp, interface: bad })).toThrow(/VIP interface/);
    expect(() => renderKeepalivedConf({ ...vrrp, peers: [bad] })).toThrow(/control plane's address/);
    expect(() => renderHaproxyConfig([{ ...route, namespace: bad }])).toThrow(/namespace of route/);
    expect(() => renderEtcdEnv({ member: { ...member, name: bad }, members: [{ ...member, name: bad }], clusterToken: "t" })).toThrow(
      /ETCD_NAME/,
    );
    expect(() => renderContainerdConfig(bad)).toThrow(/sandbox/);
  });

  it("and renders valid values as before", () => {
    expect(renderProxyUnit("docker.io/library/nginx:1.29@sha256:" + "b".repeat(64))).toContain(" docker.io/library/nginx:1.29@sha256:");
    expect(renderEtcdEnv({ member, members: [member], clusterToken: "lab" })).toContain("ETCD_LISTEN_PEER_URLS=https://10.0.0.1:2380\n");
  });
});
