import { ConfigError } from "./reader";
import { checkRoleChanges, describeMembership, type MemberNode } from "./membership";
import { memberNodes } from "./previousDeployment";

const cpEtcd = (name: string): MemberNode => ({ name, roles: ["control-plane", "etcd"] });
const worker = (name: string): MemberNode => ({ name, roles: ["worker"] });
const three = [cpEtcd("n1"), cpEtcd("n2"), cpEtcd("n3"), worker("w1")];

function refusal(previous: MemberNode[], current: MemberNode[]): string {
  try {
    checkRoleChanges(previous, current);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("accepted");
}

describe("describeMembership", () => {
  it("says nothing for a new stack or an unchanged inventory", () => {
    expect(describeMembership(undefined, three)).toEqual([]);
    expect(describeMembership([], three)).toEqual([]);
    expect(describeMembership(three, [...three].reverse())).toEqual([]);
  });

  it("names the control plane that joins and the one that leaves with its etcd member, and the new member", () => {
    const after = [cpEtcd("n1"), cpEtcd("n2"), worker("w1"), cpEtcd("n5")];
    const lines = describeMembership(three, after);
    expect(lines[0]).toBe("membership changes this run makes:");
    expect(lines).toContain("  etcd: 3 -> 3 members, tolerating 1 -> 1 failed");
    expect(lines.find((l) => l.includes("n5 joins the running etcd cluster as a learner"))).toBeDefined();
    expect(lines.find((l) => l.includes("n3's member is removed"))).toBeDefined();
    expect(lines.find((l) => l.startsWith("  control plane n5 joins"))).toBeDefined();
    expect(lines.find((l) => l.startsWith("  control plane n3 leaves: drained, its Node deleted, kubeadm reset"))).toBeDefined();
    // the etcd lines come first: members join before any leaves
    expect(lines.findIndex((l) => l.includes("n5 joins the running etcd"))).toBeLessThan(lines.findIndex((l) => l.includes("n3's member")));
  });

  it("names workers joining and leaving, etcd-only hosts leaving, and etcd roles moving on a running host", () => {
    const before = [...three, { name: "e1", roles: ["etcd"] } as MemberNode, worker("w2")];
    const after: MemberNode[] = [cpEtcd("n1"), cpEtcd("n2"), { name: "n3", roles: ["control-plane"] }, worker("w1"), worker("w3")];
    const lines = describeMembership(before, after);
    expect(lines).toContain("  worker w3 joins");
    expect(lines).toContain("  worker w2 leaves: cordoned, drained (bounded), its Node deleted, then its host is reset");
    expect(lines).toContain("  e1 leaves (etcd): its host is reset");
    expect(lines).toContain("  n3 changes roles: control-plane, etcd -> control-plane (-etcd)");
    expect(lines).toContain("  etcd: 4 -> 2 members, tolerating 1 -> 0 failed");
  });
});

describe("checkRoleChanges", () => {
  it("accepts new hosts, removed hosts and etcd or loadbalancer roles changing", () => {
    expect(() => checkRoleChanges(undefined, three)).not.toThrow();
    expect(() => checkRoleChanges(three, [cpEtcd("n1"), worker("w1"), worker("w2")])).not.toThrow();
    expect(() =>
      checkRoleChanges(three, [
        cpEtcd("n1"),
        cpEtcd("n2"),
        { name: "n3", roles: ["control-plane"] },
        { name: "w1", roles: ["worker", "etcd", "loadbalancer"] },
      ]),
    ).not.toThrow();
  });

  it("refuses a worker becoming a control plane, naming the host's key, its roles and the two-step fix", () => {
    const message = refusal(three, [cpEtcd("n1"), cpEtcd("n2"), cpEtcd("n3"), { name: "w1", roles: ["control-plane"] }]);
    expect(message).toContain("kubeadm-ha:hosts[3].roles: w1 runs as worker; changing it to control-plane in place is not supported");
    expect(message).toContain("fix: remove w1 from hosts and run pulumi up");
  });

  it("refuses a control plane gaining or losing the worker role, and a worker becoming etcd only", () => {
    expect(refusal(three, [{ name: "n1", roles: ["control-plane", "etcd", "worker"] }])).toContain("hosts[0].roles: n1");
    expect(refusal([{ name: "n1", roles: ["control-plane", "worker"] }], [{ name: "n1", roles: ["control-plane"] }])).toContain(
      "hosts[0].roles",
    );
    expect(refusal(three, [worker("x"), { name: "w1", roles: ["etcd"] }])).toContain("hosts[1].roles: w1 runs as worker");
  });
});

describe("memberNodes", () => {
  it("reads the nodes output back, dropping what is not a node or a role", () => {
    expect(memberNodes(undefined)).toBeUndefined();
    expect(memberNodes("x")).toBeUndefined();
    expect(memberNodes([{ name: "n1", roles: ["control-plane", "bogus", 3], privateIp: "10.0.0.1" }, { roles: [] }, null])).toEqual([
      { name: "n1", roles: ["control-plane"] },
    ]);
  });
});

describe("ConfigError", () => {
  it("is a Pulumi RunError, so the CLI prints its message without a stack trace", () => {
    const { RunError } = jest.requireActual<typeof import("@pulumi/pulumi")>("@pulumi/pulumi");
    const e = new ConfigError([{ key: "etcdCount", message: "m", fix: "f" }]);
    expect(RunError.isInstance(e)).toBe(true);
    expect(e.message).toBe("invalid stack config (1 problem):\n  - kubeadm-ha:etcdCount: m\n    fix: f");
  });
});
