import { judge, parseClusterView, parseNodeStatus, render, type NodeFacts } from "./report";

const now = new Date("2026-12-06T12:00:00Z");
const ETCD_JSON = (member: string, leader: string, cluster = "14841639068965178418") =>
  `[{"Endpoint":"https://x:2379","Status":{"header":{"cluster_id":${cluster},"member_id":${member},"revision":5,"raft_term":2},"version":"3.5.21","dbSize":2199552,"leader":${leader},"raftIndex":9}}]`;

function node(name: string, roles: string[], ip: string, extra: Partial<NodeFacts> = {}): NodeFacts {
  return {
    name,
    roles,
    privateIp: ip,
    kubelet: { active: true, version: "v1.34.1" },
    certs: [{ path: "/etc/kubernetes/pki/apiserver.crt", notAfter: "2027-12-06T12:00:00Z" }],
    proxy: [],
    ...extra,
  };
}

const k8sNodes = (notReady: string[] = []) =>
  JSON.stringify({
    items: ["n1", "n2", "n3", "w1"].map((name) => ({
      metadata: { name },
      status: {
        conditions: [
          {
            type: "Ready",
            status: notReady.includes(name) ? "Unknown" : "True",
            reason: notReady.includes(name) ? "NodeStatusUnknown" : "KubeletReady",
            lastTransitionTime: "2026-12-06T11:59:00Z",
          },
        ],
        nodeInfo: { kubeletVersion: "v1.34.1" },
      },
    })),
  });
const leases = (scheduler: string, acquired: string) =>
  JSON.stringify({
    items: [
      {
        metadata: { name: "kube-controller-manager" },
        spec: { holderIdentity: "n1_abc", acquireTime: "2026-12-06T10:00:00Z", renewTime: "2026-12-06T11:59:58Z", leaseTransitions: 0 },
      },
      {
        metadata: { name: "kube-scheduler" },
        spec: { holderIdentity: `${scheduler}_def`, acquireTime: acquired, renewTime: "2026-12-06T11:59:59Z", leaseTransitions: 1 },
      },
      { metadata: { name: "apiserver-xyz" }, spec: { holderIdentity: "apiserver-xyz" } },
    ],
  });

function healthy(): NodeFacts[] {
  const etcd = (member: string) =>
    parseNodeStatus({ name: "", roles: [], privateIp: "" }, `etcd\thealthy\t${ETCD_JSON(member, "111")}`).etcd;
  return [
    node("n1", ["control-plane", "etcd"], "10.0.0.1", { etcd: etcd("111") }),
    node("n2", ["control-plane", "etcd"], "10.0.0.2", { etcd: etcd("222") }),
    node("n3", ["control-plane", "etcd"], "10.0.0.3", { etcd: etcd("333") }),
    node("w1", ["worker"], "10.0.0.4", {
      proxy: ["10.0.0.1:6443", "10.0.0.2:6443", "10.0.0.3:6443"].map((upstream) => ({ upstream, up: true, detail: "readyz 200" })),
    }),
  ];
}

describe("parseNodeStatus", () => {
  it("reads every record, etcd ids as text (they overflow a JavaScript number)", () => {
    const text = [
      "kubelet\tactive\tv1.34.1",
      `etcd\thealthy\t${ETCD_JSON("9223372036854775809", "9223372036854775809")}`,
      "cert\t/etc/kubernetes/pki/ca.crt\t2036-12-04T10:00:00Z",
      "proxy\t10.0.0.1:6443\tdown\treadyz 000",
      `nodes\t${Buffer.from("{}").toString("base64")}`,
      "",
    ].join("\n");
    const f = parseNodeStatus({ name: "n1", roles: ["control-plane"], privateIp: "10.0.0.1" }, text);
    expect(f.kubelet).toEqual({ active: true, version: "v1.34.1" });
    expect(f.etcd).toMatchObject({
      healthy: true,
      clusterId: "14841639068965178418",
      memberId: "9223372036854775809",
      dbSize: 2199552,
      version: "3.5.21",
    });
    expect(f.certs).toEqual([{ path: "/etc/kubernetes/pki/ca.crt", notAfter: "2036-12-04T10:00:00Z" }]);
    expect(f.proxy).toEqual([{ upstream: "10.0.0.1:6443", up: false, detail: "readyz 000" }]);
    expect(f.rawNodes).toBe("{}");
  });

  it("an etcd member that did not answer keeps what it said", () => {
    const f = parseNodeStatus({ name: "n1", roles: ["etcd"], privateIp: "" }, "etcd\tunhealthy\tcontext deadline exceeded ");
    expect(f.etcd).toEqual({ healthy: false, error: "context deadline exceeded" });
  });
});

describe("judge", () => {
  it("a healthy cluster has no degraded finding and prints one row per node", () => {
    const r = judge({
      stack: "dev",
      nodes: healthy(),
      cluster: parseClusterView("n1", k8sNodes(), leases("n2", "2026-12-06T09:00:00Z")),
      kubernetesVersion: "1.34.1",
      earlyRenewalHours: 720,
      now,
    });
    expect(r.findings).toEqual([]);
    expect(r.healthy).toBe(true);
    expect(r.etcd).toEqual({ members: 3, healthy: 3, clusterIds: ["14841639068965178418"], leader: "n1" });
    const text = render(r, now);
    expect(text).toContain("stack dev: healthy");
    expect(text.split("\n").filter((l) => /^(n[123]|w1) /.test(l))).toHaveLength(4);
    expect(text).toContain("lease kube-scheduler: n2");
    // a lease taken for the first time (0 transitions) is no move
    const fresh = judge({
      stack: "dev",
      nodes: healthy(),
      cluster: parseClusterView(
        "n1",
        k8sNodes(),
        leases("n2", "2026-12-06T11:59:00Z").replace('"leaseTransitions":1', '"leaseTransitions":0'),
      ),
      earlyRenewalHours: 720,
      now,
    });
    expect(fresh.findings).toEqual([]);
  });

  it("a control plane down: the node, its etcd member, the moved lease and every proxy that lost it", () => {
    const nodes = healthy();
    nodes[1] = {
      ...nodes[1],
      sshError: "kha-node-2 (10.0.0.2:22) unreachable: nothing was copied from it",
      kubelet: undefined,
      etcd: undefined,
      certs: [],
    };
    nodes[3].proxy[1] = { upstream: "10.0.0.2:6443", up: false, detail: "readyz 000" };
    const r = judge({
      stack: "dev",
      nodes,
      cluster: parseClusterView("n1", k8sNodes(["n2"]), leases("n3", "2026-12-06T11:59:30Z")),
      kubernetesVersion: "1.34.1",
      earlyRenewalHours: 720,
      now,
    });
    expect(r.healthy).toBe(false);
    const said = r.findings.map((f) => `${f.severity} ${f.subject}: ${f.message}`);
    expect(said).toContain("degraded n2: cannot be reached over SSH (kha-node-2 (10.0.0.2:22) unreachable: nothing was copied from it)");
    expect(said).toContain("degraded n2: is NotReady (NodeStatusUnknown, since 2026-12-06T11:59:00Z)");
    expect(said).toContain("note kube-scheduler: moved to n3 30 s ago (1 transitions in all)");
    expect(said).toContain("degraded w1: its apiserver proxy lost upstream 10.0.0.2:6443 (n2) (readyz 000)");
    expect(r.etcd.healthy).toBe(2);
    expect(said.some((s) => s.includes("quorum"))).toBe(false);
    expect(render(r, now)).toContain("stack dev: DEGRADED");
  });

  it("a lease still held by a node that is down is degraded", () => {
    const nodes = healthy();
    nodes[0] = { ...nodes[0], sshError: "unreachable", etcd: undefined };
    const r = judge({
      stack: "s",
      nodes,
      cluster: parseClusterView("n2", k8sNodes(["n1"]), leases("n2", "2026-12-06T09:00:00Z")),
      earlyRenewalHours: 720,
      now,
    });
    expect(r.findings.find((f) => f.subject === "kube-controller-manager")?.message).toBe(
      "held by n1, which is down: another control plane takes it when the lease expires",
    );
  });

  it("etcd split, lost quorum, expiring and expired certificates, version skew", () => {
    const nodes = healthy();
    nodes[0].etcd = { ...nodes[0].etcd!, clusterId: "1" };
    nodes[1].etcd = { healthy: false, error: "connection refused" };
    nodes[2].etcd = { healthy: false, error: "connection refused" };
    nodes[3].certs = [
      { path: "/etc/kubernetes/kubelet.conf", notAfter: "2026-12-20T00:00:00Z" },
      { path: "/var/lib/kubelet/pki/kubelet-client-current.pem", notAfter: "2026-12-01T00:00:00Z" },
    ];
    const r = judge({
      stack: "s",
      nodes,
      cluster: parseClusterView("n1", k8sNodes(), undefined),
      kubernetesVersion: "1.35.4",
      earlyRenewalHours: 720,
      now,
    });
    const said = r.findings.map((f) => `${f.severity} ${f.subject}: ${f.message}`);
    expect(said).toContain("degraded etcd: 1 of 3 members answer: quorum (2) is lost, the cluster cannot write");
    expect(said).toContain("degraded n2: etcd member does not answer (connection refused)");
    expect(said).toContain("warning w1: /etc/kubernetes/kubelet.conf expires 2026-12-20T00:00:00Z, inside the renewal window");
    expect(said).toContain("degraded w1: /var/lib/kubelet/pki/kubelet-client-current.pem expired 2026-12-01T00:00:00Z");
    expect(said).toContain("warning n1: runs v1.34.1, the stack's last deployment says v1.35.4");
    nodes[1].etcd = { ...nodes[0].etcd!, clusterId: "2" };
    const split = judge({ stack: "s", nodes, cluster: parseClusterView("n1", k8sNodes(), undefined), earlyRenewalHours: 720, now });
    expect(split.findings.map((f) => f.message)).toContain("members report 2 different cluster IDs (1, 2): a split");
  });

  it("no control plane answering is degraded", () => {
    const r = judge({ stack: "s", nodes: healthy(), earlyRenewalHours: 720, now });
    expect(r.findings[0]).toMatchObject({ severity: "degraded", subject: "cluster" });
  });

  it("an aggregated API the apiserver cannot reach (metrics.k8s.io) is degraded and named; the apiserver's own groups are not judged", () => {
    const apiServices = (metricsAvailable: boolean) =>
      JSON.stringify({
        items: [
          {
            metadata: { name: "v1.apps" },
            spec: { service: null },
            status: { conditions: [{ type: "Available", status: "True", reason: "Local" }] },
          },
          {
            metadata: { name: "v1beta1.metrics.k8s.io" },
            spec: { service: { name: "metrics-server", namespace: "kube-system" } },
            status: {
              conditions: [
                metricsAvailable
                  ? { type: "Available", status: "True", reason: "Passed" }
                  : {
                      type: "Available",
                      status: "False",
                      reason: "MissingEndpoints",
                      message: 'endpoints for service/metrics-server in "kube-system" have no addresses',
                    },
              ],
            },
          },
        ],
      });
    const view = (ok: boolean) => parseClusterView("n1", k8sNodes(), leases("n2", "2026-12-06T09:00:00Z"), apiServices(ok));
    const fine = judge({ stack: "s", nodes: healthy(), cluster: view(true), earlyRenewalHours: 720, now });
    expect(fine.healthy).toBe(true);
    expect(fine.cluster!.apiServices.map((a) => a.name)).toEqual(["v1beta1.metrics.k8s.io"]);
    expect(render(fine, now)).toContain("api v1beta1.metrics.k8s.io (kube-system/metrics-server): available");
    const broken = judge({ stack: "s", nodes: healthy(), cluster: view(false), earlyRenewalHours: 720, now });
    expect(broken.healthy).toBe(false);
    expect(broken.findings).toContainEqual(
      expect.objectContaining({
        severity: "degraded",
        subject: "v1beta1.metrics.k8s.io",
        message: expect.stringContaining("MissingEndpoints"),
        fix: expect.stringContaining("kubectl -n kube-system"),
      }),
    );
  });
});
