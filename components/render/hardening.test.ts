import { parse } from "yaml";
import { clusterSpec } from "../../config/clusterSpec";
import type { HardeningConfig } from "../../config/types";
import {
  renderAuditPolicy,
  renderAuthenticationConfig,
  renderCsrApproverService,
  renderCsrApproverTimer,
  renderEncryptionConfig,
  renderHardeningEnv,
} from "./hardening";

const KEY = Buffer.alloc(32, 7).toString("base64");

describe("Secrets encryption at rest", () => {
  it("on: new writes with secretbox, Secrets stored before still readable through identity", () => {
    const doc = parse(renderEncryptionConfig(KEY, true));
    expect(doc.apiVersion).toBe("apiserver.config.k8s.io/v1");
    expect(doc.kind).toBe("EncryptionConfiguration");
    expect(doc.resources).toEqual([
      { resources: ["secrets"], providers: [{ secretbox: { keys: [{ name: "key1", secret: KEY }] } }, { identity: {} }] },
    ]);
    expect(Buffer.from(doc.resources[0].providers[0].secretbox.keys[0].secret, "base64")).toHaveLength(32);
  });

  it("off: identity first, the key kept so Secrets written while it was on stay readable", () => {
    const providers = parse(renderEncryptionConfig(KEY, false)).resources[0].providers;
    expect(providers).toEqual([{ identity: {} }, { secretbox: { keys: [{ name: "key1", secret: KEY }] } }]);
  });
});

describe("audit policy", () => {
  const policy = parse(renderAuditPolicy());
  type Rule = { level: string; users?: string[]; userGroups?: string[]; verbs?: string[]; nonResourceURLs?: string[]; resources?: any[] };
  const rules: Rule[] = policy.rules;

  /** The level of the first rule matching a request, as the apiserver decides it. */
  function levelOf(req: {
    user: string;
    groups?: string[];
    verb: string;
    group?: string;
    resource?: string;
    namespace?: string;
    path?: string;
  }) {
    for (const rule of rules as (Rule & { namespaces?: string[] })[]) {
      if (rule.users && !rule.users.includes(req.user)) continue;
      if (rule.userGroups && !rule.userGroups.some((g) => req.groups?.includes(g))) continue;
      if (rule.verbs && !rule.verbs.includes(req.verb)) continue;
      if (rule.namespaces && !rule.namespaces.includes(req.namespace ?? "")) continue;
      if (rule.nonResourceURLs) {
        if (!req.path || !rule.nonResourceURLs.some((u) => (u.endsWith("*") ? req.path!.startsWith(u.slice(0, -1)) : req.path === u)))
          continue;
      } else if (req.path) {
        if (rule.resources) continue;
      }
      if (rule.resources) {
        if (!req.resource) continue;
        const hit = rule.resources.some(
          (r: { group: string; resources: string[] }) =>
            r.group === (req.group ?? "") && (r.resources.length === 0 || r.resources.includes(req.resource!)),
        );
        if (!hit) continue;
      }
      return rule.level;
    }
    return "None";
  }

  it("is an audit.k8s.io/v1 Policy that logs each request once", () => {
    expect(policy.apiVersion).toBe("audit.k8s.io/v1");
    expect(policy.kind).toBe("Policy");
    expect(policy.omitStages).toEqual(["RequestReceived"]);
    expect(rules[rules.length - 1]).toEqual({ level: "Metadata" });
  });

  it("never records the content of Secrets, ConfigMaps or tokens", () => {
    for (const verb of ["get", "list", "create", "update", "patch", "delete"]) {
      expect(levelOf({ user: "alice", verb, resource: "secrets", namespace: "default" })).toBe("Metadata");
      expect(levelOf({ user: "alice", verb, resource: "configmaps", namespace: "default" })).toBe("Metadata");
    }
    expect(levelOf({ user: "alice", verb: "create", resource: "serviceaccounts/token", namespace: "default" })).toBe("Metadata");
    expect(levelOf({ user: "system:kube-proxy", verb: "create", group: "authentication.k8s.io", resource: "tokenreviews" })).toBe(
      "Metadata",
    );
    // and no rule could: nothing above Metadata names them
    for (const rule of rules.filter((r) => r.level === "Request" || r.level === "RequestResponse")) {
      expect(JSON.stringify(rule.resources ?? [])).not.toMatch(/secrets|configmaps|tokenreviews/);
    }
  });

  it("keeps the body of other writes, and the response of RBAC changes", () => {
    expect(levelOf({ user: "alice", verb: "create", group: "apps", resource: "deployments", namespace: "default" })).toBe("Request");
    expect(levelOf({ user: "alice", verb: "delete", resource: "pods", namespace: "default" })).toBe("Request");
    expect(levelOf({ user: "alice", verb: "create", group: "rbac.authorization.k8s.io", resource: "clusterrolebindings" })).toBe(
      "RequestResponse",
    );
    expect(levelOf({ user: "alice", verb: "list", resource: "pods", namespace: "default" })).toBe("Metadata");
  });

  it("drops high-volume read-only noise", () => {
    expect(levelOf({ user: "system:kube-proxy", verb: "watch", group: "discovery.k8s.io", resource: "endpointslices" })).toBe("None");
    expect(levelOf({ user: "system:anonymous", verb: "get", path: "/readyz" })).toBe("None");
    expect(levelOf({ user: "system:anonymous", verb: "get", path: "/livez/ping" })).toBe("None");
    expect(levelOf({ user: "alice", verb: "get", path: "/version" })).toBe("None");
    expect(levelOf({ user: "alice", verb: "create", resource: "events", namespace: "default" })).toBe("None");
    expect(
      levelOf({
        user: "system:kube-controller-manager",
        verb: "update",
        group: "coordination.k8s.io",
        resource: "leases",
        namespace: "kube-system",
      }),
    ).toBe("None");
    expect(
      levelOf({
        user: "system:node:w-1",
        groups: ["system:nodes"],
        verb: "update",
        group: "coordination.k8s.io",
        resource: "leases",
        namespace: "kube-node-lease",
      }),
    ).toBe("None");
    // the same verbs by anyone else, or elsewhere, are kept
    expect(levelOf({ user: "alice", verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: "kube-system" })).toBe(
      "Request",
    );
    expect(levelOf({ user: "alice", verb: "get", path: "/api/v1" })).toBe("Metadata");
  });
});

describe("anonymous authentication limited to health endpoints", () => {
  it.each([
    ["1.32.9", "apiserver.config.k8s.io/v1beta1"],
    ["1.33.5", "apiserver.config.k8s.io/v1beta1"],
    ["1.34.1", "apiserver.config.k8s.io/v1"],
  ])("Kubernetes %s: %s", (version, apiVersion) => {
    const doc = parse(renderAuthenticationConfig(version));
    expect(doc).toEqual({
      apiVersion,
      kind: "AuthenticationConfiguration",
      anonymous: { enabled: true, conditions: [{ path: "/livez" }, { path: "/readyz" }, { path: "/healthz" }] },
    });
  });
});

describe("the kubelet serving-certificate approver's files", () => {
  // what a stack gets without asking: every security default on
  const on: HardeningConfig = clusterSpec().hardening;

  it("hardening.env says whether the approver runs", () => {
    expect(renderHardeningEnv(on)).toContain("\nKHA_KUBELET_SERVING_CERTS=true\n");
    expect(renderHardeningEnv({ ...on, kubeletServingCerts: false })).toContain("\nKHA_KUBELET_SERVING_CERTS=false\n");
  });

  it("a oneshot service run by a timer every 20 s", () => {
    expect(renderCsrApproverService()).toContain("ExecStart=/usr/local/lib/kubeadm-ha/kubelet-csr-approve.sh");
    expect(renderCsrApproverService()).toContain("Type=oneshot");
    expect(renderCsrApproverTimer()).toContain("OnUnitActiveSec=20s");
    expect(renderCsrApproverTimer()).toContain("WantedBy=timers.target");
  });
});
