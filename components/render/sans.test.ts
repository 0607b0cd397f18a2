import * as fs from "fs";
import * as path from "path";
import { caCertHash } from "./discovery";
import { apiserverSans, etcdMemberSans, firstServiceIp } from "./sans";

const fixtures = path.join(__dirname, "..", "..", "test", "fixtures");

describe("SANs and the discovery hash", () => {
  it("matches openssl's SubjectPublicKeyInfo hash of the CA", () => {
    const pem = fs.readFileSync(path.join(fixtures, "ca.crt"), "utf8");
    expect(caCertHash(pem)).toBe(fs.readFileSync(path.join(fixtures, "ca.crt.discovery-hash"), "utf8").trim());
  });

  it("takes the first address of the service CIDR", () => {
    expect(firstServiceIp("10.96.0.0/12")).toBe("10.96.0.1");
    expect(firstServiceIp("172.20.0.0/16")).toBe("172.20.0.1");
  });

  it("puts endpoint names in DNS SANs and endpoint IPs in IP SANs, without duplicates", () => {
    const base = { nodeName: "cp-1", privateIp: "10.0.0.5", serviceCidr: "10.96.0.0/12" };
    const external = apiserverSans({
      ...base,
      endpoint: { mode: "external", address: "api.example.com", port: 443, vipImplementation: "keepalived", vipInterface: "eth0" },
    });
    expect(external.dnsNames).toContain("api.example.com");
    expect(external.ipAddresses).toEqual(["10.96.0.1", "127.0.0.1", "10.0.0.5"]);
    const vip = apiserverSans({
      ...base,
      publicIp: "203.0.113.5",
      endpoint: { mode: "vip", address: "10.0.0.100", port: 6443, vipImplementation: "keepalived", vipInterface: "eth0" },
    });
    expect(vip.ipAddresses).toEqual(["10.96.0.1", "127.0.0.1", "10.0.0.5", "203.0.113.5", "10.0.0.100"]);
    expect(etcdMemberSans("e-1", "10.0.0.7")).toEqual({ dnsNames: ["e-1", "localhost"], ipAddresses: ["10.0.0.7", "127.0.0.1"] });
  });
});
