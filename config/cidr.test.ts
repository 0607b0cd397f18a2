import { cidrContains, cidrsOverlap, nthAddress, parseCidr, parseIpv4, subnet } from "./cidr";

describe("IPv4 CIDR maths", () => {
  it("parses addresses strictly", () => {
    expect(parseIpv4("10.77.0.11")).toBe(0x0a4d000b);
    for (const bad of ["10.77.0", "10.77.0.256", "010.1.1.1", "a.b.c.d", "::1"]) expect(parseIpv4(bad)).toBeUndefined();
  });

  it("requires the network address", () => {
    expect(parseCidr("10.96.0.0/12")).toMatchObject({ prefix: 12 });
    expect(parseCidr("10.96.0.1/12")).toBeUndefined();
    expect(parseCidr("10.96.0.0/33")).toBeUndefined();
  });

  it("finds overlaps and containment", () => {
    const svc = parseCidr("10.96.0.0/12")!;
    expect(cidrsOverlap(svc, parseCidr("10.110.0.0/20")!)).toBe(true);
    expect(cidrsOverlap(svc, parseCidr("10.244.0.0/16")!)).toBe(false);
    expect(cidrsOverlap(parseCidr("10.0.0.0/8")!, svc)).toBe(true);
    expect(cidrContains(svc, parseIpv4("10.111.255.255")!)).toBe(true);
    expect(cidrContains(svc, parseIpv4("10.112.0.0")!)).toBe(false);
  });

  it("computes the first service IP and sub-blocks", () => {
    expect(nthAddress(parseCidr("10.96.0.0/12")!, 1)).toBe("10.96.0.1");
    expect(nthAddress(parseCidr("10.96.0.0/12")!, 10)).toBe("10.96.0.10");
    expect(subnet(parseCidr("10.0.0.0/16")!, 3, 2)).toBe("10.0.64.0/19");
    expect(() => subnet(parseCidr("10.0.0.0/30")!, 3, 0)).toThrow(/cannot be split/);
  });
});
