import { initialCluster, renderEtcdEnv, renderEtcdUnit } from "./etcd";

const members = [
  { name: "e-1", ip: "10.77.0.21" },
  { name: "e-2", ip: "10.77.0.22" },
  { name: "e-3", ip: "10.77.0.23" },
];

describe("etcd rendering", () => {
  it("computes the initial cluster from the members", () => {
    expect(initialCluster(members)).toBe("e-1=https://10.77.0.21:2380,e-2=https://10.77.0.22:2380,e-3=https://10.77.0.23:2380");
  });

  it("listens on the member's own IP and loopback, with TLS everywhere", () => {
    const env = Object.fromEntries(
      renderEtcdEnv({ member: members[1], members, clusterToken: "lab" })
        .split("\n")
        .filter((l) => l.includes("="))
        .map((l) => l.split(/=(.*)/).slice(0, 2)),
    );
    expect(env.ETCD_LISTEN_CLIENT_URLS).toBe("https://10.77.0.22:2379,https://127.0.0.1:2379");
    expect(env.ETCD_ADVERTISE_CLIENT_URLS).toBe("https://10.77.0.22:2379");
    expect(env.ETCD_INITIAL_ADVERTISE_PEER_URLS).toBe("https://10.77.0.22:2380");
    expect(env.ETCD_CLIENT_CERT_AUTH).toBe("true");
    expect(env.ETCD_PEER_CLIENT_CERT_AUTH).toBe("true");
    expect(env.ETCD_DATA_DIR).toBe("/var/lib/etcd");
  });

  it("refuses a member missing from its own cluster", () => {
    expect(() => renderEtcdEnv({ member: { name: "x", ip: "1.2.3.4" }, members, clusterToken: "lab" })).toThrow(
      /not in its own initial cluster/,
    );
  });

  it("is a notify unit reading the environment file", () => {
    expect(renderEtcdUnit()).toMatch(/Type=notify[\s\S]*EnvironmentFile=\/etc\/etcd.env/);
  });
});
