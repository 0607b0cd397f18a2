// The health report of `npm run status`, from what each node said (status/node-status.sh) and
// the cluster's own view (nodes and leases, asked on one control plane). Pure: parse, judge, print.

export interface NodeTarget {
  name: string;
  roles: string[];
  /** the address the cluster uses (apiserver, etcd) */
  privateIp: string;
}

export interface EtcdFacts {
  healthy: boolean;
  clusterId?: string;
  memberId?: string;
  leader?: string;
  dbSize?: number;
  version?: string;
  error?: string;
}

export interface NodeFacts {
  name: string;
  roles: string[];
  privateIp: string;
  /** SSH failed: nothing else is known from the host itself */
  sshError?: string;
  kubelet?: { active: boolean; version: string };
  etcd?: EtcdFacts;
  certs: { path: string; notAfter: string }[];
  proxy: { upstream: string; up: boolean; detail: string }[];
}

export interface ClusterView {
  /** the control plane that answered */
  askedOn: string;
  nodes: { name: string; ready: boolean; reason: string; since: string; version: string }[];
  leases: { name: string; holder: string; acquired?: string; renewed?: string; transitions: number }[];
  /** the aggregated APIs (served by a Service in the cluster, e.g. metrics.k8s.io) and whether the apiserver reaches them */
  apiServices: { name: string; service: string; available: boolean; reason: string; message: string }[];
}

export interface Finding {
  severity: "degraded" | "warning" | "note";
  /** the node, member or object it is about */
  subject: string;
  message: string;
  fix?: string;
}

export interface Report {
  healthy: boolean;
  stack: string;
  kubernetesVersion?: string;
  nodes: NodeFacts[];
  cluster?: ClusterView;
  etcd: { members: number; healthy: number; clusterIds: string[]; leader?: string };
  findings: Finding[];
}

/** the records node-status.sh prints, one tab-separated line each */
export type RawViews = { rawNodes?: string; rawLeases?: string; rawApiServices?: string };

export function parseNodeStatus(target: NodeTarget, text: string): NodeFacts & RawViews {
  const facts: NodeFacts & RawViews = { ...target, certs: [], proxy: [] };
  for (const line of text.split("\n")) {
    const [kind, ...f] = line.split("\t");
    if (kind === "kubelet") facts.kubelet = { active: f[0] === "active", version: f[1] ?? "unknown" };
    else if (kind === "etcd") facts.etcd = parseEtcd(f[0] === "healthy", f.slice(1).join("\t"));
    else if (kind === "cert" && f.length >= 2) facts.certs.push({ path: f[0], notAfter: f[1] });
    else if (kind === "proxy" && f.length >= 2) facts.proxy.push({ upstream: f[0], up: f[1] === "up", detail: f[2] ?? "" });
    else if (kind === "nodes") facts.rawNodes = Buffer.from(f[0] ?? "", "base64").toString("utf8");
    else if (kind === "leases") facts.rawLeases = Buffer.from(f[0] ?? "", "base64").toString("utf8");
    else if (kind === "apiservices") facts.rawApiServices = Buffer.from(f[0] ?? "", "base64").toString("utf8");
  }
  return facts;
}

/** etcdctl's JSON carries uint64 ids that a JavaScript number cannot hold: read them as text */
function parseEtcd(healthy: boolean, text: string): EtcdFacts {
  if (!healthy) return { healthy: false, error: text.trim() || "no answer" };
  const num = (key: string) => new RegExp(`"${key}":(\\d+)`).exec(text)?.[1];
  const size = num("dbSize");
  return {
    healthy: true,
    clusterId: num("cluster_id"),
    memberId: num("member_id"),
    leader: num("leader"),
    dbSize: size === undefined ? undefined : Number(size),
    version: /"version":"([^"]+)"/.exec(text)?.[1],
  };
}

interface K8sNode {
  metadata: { name: string };
  status?: {
    conditions?: { type: string; status: string; reason?: string; lastTransitionTime?: string }[];
    nodeInfo?: { kubeletVersion?: string };
  };
}
interface K8sApiService {
  metadata: { name: string };
  spec?: { service?: { name?: string; namespace?: string } | null };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}
interface K8sLease {
  metadata: { name: string };
  spec?: { holderIdentity?: string; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

export function parseClusterView(
  askedOn: string,
  nodesJson: string,
  leasesJson: string | undefined,
  apiServicesJson?: string,
): ClusterView {
  const nodes = (JSON.parse(nodesJson) as { items: K8sNode[] }).items.map((n) => {
    const ready = n.status?.conditions?.find((c) => c.type === "Ready");
    return {
      name: n.metadata.name,
      ready: ready?.status === "True",
      reason: ready?.reason ?? "no Ready condition",
      since: ready?.lastTransitionTime ?? "",
      version: n.status?.nodeInfo?.kubeletVersion ?? "",
    };
  });
  const leases = leasesJson
    ? (JSON.parse(leasesJson) as { items: K8sLease[] }).items
        .filter((l) => l.metadata.name === "kube-controller-manager" || l.metadata.name === "kube-scheduler")
        .map((l) => ({
          name: l.metadata.name,
          // "<node>_<uuid>": the node part is what an operator knows
          holder: (l.spec?.holderIdentity ?? "").split("_")[0],
          acquired: l.spec?.acquireTime,
          renewed: l.spec?.renewTime,
          transitions: l.spec?.leaseTransitions ?? 0,
        }))
    : [];
  // the apiserver's own groups have no service: only aggregated ones can be unreachable
  const apiServices = apiServicesJson
    ? (JSON.parse(apiServicesJson) as { items: K8sApiService[] }).items
        .filter((a) => a.spec?.service?.name)
        .map((a) => {
          const available = a.status?.conditions?.find((c) => c.type === "Available");
          return {
            name: a.metadata.name,
            service: `${a.spec!.service!.namespace ?? "default"}/${a.spec!.service!.name}`,
            available: available?.status === "True",
            reason: available?.reason ?? "no Available condition yet",
            message: available?.message ?? "",
          };
        })
    : [];
  return { askedOn, nodes, leases, apiServices };
}

const ago = (from: string | undefined, now: Date) =>
  from === undefined || from === "" ? "?" : `${Math.max(0, Math.round((now.getTime() - Date.parse(from)) / 1000))} s ago`;

export interface JudgeArgs {
  stack: string;
  nodes: NodeFacts[];
  cluster?: ClusterView;
  /** the version the stack's last deployment left running (its kubernetesVersion output) */
  kubernetesVersion?: string;
  /** pki.earlyRenewalHours: a certificate inside this window is renewed by the next pulumi up */
  earlyRenewalHours: number;
  now: Date;
  /** a lease taken more recently than this is reported as moved */
  movedWithinSeconds?: number;
}

export function judge(a: JudgeArgs): Report {
  const findings: Finding[] = [];
  const add = (f: Finding) => findings.push(f);
  const down = new Set<string>();
  const byIp = new Map<string, string>();
  for (const n of a.nodes) {
    if (n.sshError) {
      down.add(n.name);
      add({
        severity: "degraded",
        subject: n.name,
        message: `cannot be reached over SSH (${n.sshError})`,
        fix: "power the host on or restore its network; pulumi up needs it too",
      });
    }
  }
  // ---- Kubernetes nodes ----
  const k8sNodes = a.nodes.filter((n) => n.roles.includes("control-plane") || n.roles.includes("worker"));
  if (!a.cluster) {
    add({
      severity: "degraded",
      subject: "cluster",
      message: "no control plane answered kubectl (nodes and leases unknown)",
      fix: "check the control planes' kube-apiserver (crictl/journalctl on a control plane)",
    });
  }
  for (const n of k8sNodes) {
    const seen = a.cluster?.nodes.find((c) => c.name === n.name);
    if (a.cluster && !seen) {
      add({ severity: "degraded", subject: n.name, message: "is in the stack but not registered in the cluster", fix: "pulumi up" });
    } else if (seen && !seen.ready) {
      down.add(n.name);
      add({
        severity: "degraded",
        subject: n.name,
        message: `is NotReady (${seen.reason}, since ${seen.since || "?"})`,
        fix: `on ${n.name}: systemctl status kubelet containerd; journalctl -u kubelet`,
      });
    }
    if (n.kubelet && !n.kubelet.active && !n.sshError) {
      add({ severity: "degraded", subject: n.name, message: "its kubelet is not running", fix: `on ${n.name}: systemctl start kubelet` });
    }
    const version = seen?.version || n.kubelet?.version;
    if (a.kubernetesVersion && version && version !== `v${a.kubernetesVersion}`) {
      add({
        severity: "warning",
        subject: n.name,
        message: `runs ${version}, the stack's last deployment says v${a.kubernetesVersion}`,
        fix: "pulumi up (it finishes an interrupted upgrade)",
      });
    }
  }
  // ---- etcd ----
  const members = a.nodes.filter((n) => n.roles.includes("etcd"));
  const answering = members.filter((m) => m.etcd?.healthy);
  const clusterIds = [...new Set(answering.map((m) => m.etcd!.clusterId!).filter(Boolean))];
  const leaderId = answering.find((m) => m.etcd?.leader && m.etcd.leader !== "0")?.etcd?.leader;
  const leader = answering.find((m) => m.etcd?.memberId === leaderId)?.name;
  for (const m of members) {
    if (m.sshError) continue;
    if (!m.etcd?.healthy) {
      add({
        severity: "degraded",
        subject: m.name,
        message: `etcd member does not answer (${m.etcd?.error ?? "not running"})`,
        fix: `on ${m.name}: systemctl status etcd; journalctl -u etcd`,
      });
    } else if ((m.etcd.dbSize ?? 0) > 0.8 * 2 * 2 ** 30) {
      add({
        severity: "warning",
        subject: m.name,
        message: `etcd database is ${(m.etcd.dbSize! / 2 ** 20).toFixed(0)} MiB, near the 2 GiB quota`,
        fix: "compact and defragment (etcdctl defrag on each member in turn)",
      });
    }
  }
  const quorum = Math.floor(members.length / 2) + 1;
  if (members.length > 0 && answering.length < quorum) {
    add({
      severity: "degraded",
      subject: "etcd",
      message: `${answering.length} of ${members.length} members answer: quorum (${quorum}) is lost, the cluster cannot write`,
      fix: "bring members back; if their data is gone, restore from a snapshot (README, etcd restore)",
    });
  }
  if (clusterIds.length > 1) {
    add({
      severity: "degraded",
      subject: "etcd",
      message: `members report ${clusterIds.length} different cluster IDs (${clusterIds.join(", ")}): a split`,
      fix: "stop: do not run pulumi up; compare each member's data before anything else",
    });
  }
  if (answering.length > 0 && !leader) {
    add({ severity: "degraded", subject: "etcd", message: "no member reports a leader", fix: "check the members' peer connections" });
  }
  // ---- leases ----
  for (const l of a.cluster?.leases ?? []) {
    if (down.has(l.holder)) {
      add({
        severity: "degraded",
        subject: l.name,
        message: `held by ${l.holder}, which is down: another control plane takes it when the lease expires`,
      });
    }
    const taken = l.acquired ? (a.now.getTime() - Date.parse(l.acquired)) / 1000 : Infinity;
    // (a first acquisition, transitions 0, is no move)
    if (taken <= (a.movedWithinSeconds ?? 600) && l.transitions > 0) {
      add({
        severity: "note",
        subject: l.name,
        message: `moved to ${l.holder} ${ago(l.acquired, a.now)} (${l.transitions} transitions in all)`,
      });
    }
  }
  // ---- aggregated APIs (metrics.k8s.io: kubectl top, autoscalers) ----
  for (const api of a.cluster?.apiServices ?? []) {
    if (api.available) continue;
    const [namespace, service] = api.service.split("/");
    add({
      severity: "degraded",
      subject: api.name,
      message: `the apiserver cannot use it (${api.reason}${api.message ? `: ${api.message}` : ""})`,
      fix: `kubectl -n ${namespace} get pods,endpoints; kubectl -n ${namespace} logs service/${service}`,
    });
  }
  // ---- apiserver proxies ----
  for (const n of a.nodes) byIp.set(n.privateIp, n.name);
  for (const n of a.nodes) {
    for (const p of n.proxy.filter((x) => !x.up)) {
      add({
        severity: "degraded",
        subject: n.name,
        message: `its apiserver proxy lost upstream ${p.upstream}${byIp.has(p.upstream.split(":")[0]) ? ` (${byIp.get(p.upstream.split(":")[0])})` : ""} (${p.detail})`,
        fix: "the proxy skips it while it is down; bring that control plane back",
      });
    }
  }
  // ---- certificates ----
  for (const n of a.nodes) {
    for (const c of n.certs) {
      const left = (Date.parse(c.notAfter) - a.now.getTime()) / 3_600_000;
      if (left <= 0) {
        add({ severity: "degraded", subject: n.name, message: `${c.path} expired ${c.notAfter}`, fix: "pulumi up (renews it)" });
      } else if (left <= a.earlyRenewalHours) {
        add({
          severity: "warning",
          subject: n.name,
          message: `${c.path} expires ${c.notAfter}, inside the renewal window`,
          fix: "pulumi up (renews it)",
        });
      }
    }
  }
  return {
    healthy: !findings.some((f) => f.severity === "degraded"),
    stack: a.stack,
    kubernetesVersion: a.kubernetesVersion,
    nodes: a.nodes,
    cluster: a.cluster,
    etcd: { members: members.length, healthy: answering.length, clusterIds, leader },
    findings,
  };
}

/** the human table */
export function render(r: Report, now: Date): string {
  const soonest = (n: NodeFacts) => [...n.certs].sort((x, y) => Date.parse(x.notAfter) - Date.parse(y.notAfter))[0];
  const rows = r.nodes.map((n) => {
    const seen = r.cluster?.nodes.find((c) => c.name === n.name);
    const etcd = !n.roles.includes("etcd")
      ? "-"
      : n.sshError
        ? "?"
        : n.etcd?.healthy
          ? `${n.etcd.memberId === undefined || r.etcd.leader !== n.name ? "member" : "leader"} ${((n.etcd.dbSize ?? 0) / 2 ** 20).toFixed(1)} MiB`
          : "DOWN";
    const proxy = n.proxy.length === 0 ? "-" : `${n.proxy.filter((p) => p.up).length}/${n.proxy.length} up`;
    const cert = soonest(n);
    return [
      n.name,
      n.roles.join(","),
      n.sshError ? "FAILED" : "ok",
      seen ? (seen.ready ? "Ready" : "NotReady") : "-",
      seen?.version || n.kubelet?.version || "-",
      etcd,
      proxy,
      cert ? `${cert.notAfter.slice(0, 10)} ${cert.path.split("/").pop()}` : "-",
    ];
  });
  const header = ["NODE", "ROLES", "SSH", "READY", "VERSION", "ETCD", "PROXY", "FIRST CERT EXPIRY"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  const out = [`stack ${r.stack}: ${r.healthy ? "healthy" : "DEGRADED"}`, "", line(header), ...rows.map(line), ""];
  out.push(
    `etcd: ${r.etcd.healthy}/${r.etcd.members} members answer; cluster ID ${r.etcd.clusterIds.join(", ") || "?"}; leader ${r.etcd.leader ?? "none"}`,
  );
  for (const l of r.cluster?.leases ?? [])
    out.push(`lease ${l.name}: ${l.holder} (taken ${ago(l.acquired, now)}, renewed ${ago(l.renewed, now)})`);
  for (const api of r.cluster?.apiServices ?? [])
    out.push(`api ${api.name} (${api.service}): ${api.available ? "available" : "UNAVAILABLE"}`);
  for (const severity of ["degraded", "warning", "note"] as const) {
    const fs = r.findings.filter((f) => f.severity === severity);
    if (fs.length === 0) continue;
    out.push("", `${severity}:`);
    for (const f of fs) {
      out.push(`  - ${f.subject}: ${f.message}`);
      if (f.fix) out.push(`    fix: ${f.fix}`);
    }
  }
  return out.join("\n");
}
