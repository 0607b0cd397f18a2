import { renderKeepalivedConf, vrrpRouterId } from "./keepalived";

describe("keepalived for the VIP", () => {
  const base = {
    vip: "10.77.0.100",
    interface: "host0",
    routerId: vrrpRouterId("lab"),
    peers: ["10.77.0.11", "10.77.0.12", "10.77.0.13"],
    apiPort: 6443,
  };

  it("carries the VIP, unicast peers without itself, and tracks the local apiserver", () => {
    const conf = renderKeepalivedConf({ ...base, index: 1, self: "10.77.0.12" });
    expect(conf).toContain("10.77.0.100/32 dev host0");
    expect(conf).toMatch(/unicast_peer \{\n    10.77.0.11\n    10.77.0.13\n  \}/);
    expect(conf).toContain("priority 149");
    expect(conf).toContain("https://127.0.0.1:6443/readyz");
    expect(conf).toContain("weight -60");
  });

  it("keeps the router id stable per cluster and within VRRP's range", () => {
    expect(vrrpRouterId("lab")).toBe(vrrpRouterId("lab"));
    for (const name of ["a", "lab", "production-cluster-eu"]) {
      expect(vrrpRouterId(name)).toBeGreaterThanOrEqual(1);
      expect(vrrpRouterId(name)).toBeLessThanOrEqual(255);
    }
  });
});
