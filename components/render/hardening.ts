// The cluster's security defaults as files and apiserver settings (pure): Secrets encryption at
// rest, the audit policy, anonymous auth limited to health endpoints, and the units of the kubelet
// serving-certificate approver. render/kubeadm.ts puts the arguments and volumes into the
// ClusterConfiguration; components/controlPlane.ts delivers the files to every control plane.

import { stringify } from "yaml";
import type { HardeningConfig } from "../../config/types";
import { HOST_PATHS, HOST_VALUES } from "../hostLayout";

/** kubeadm v1beta4 HostPathMount */
export interface HostPathMount {
  name: string;
  hostPath: string;
  mountPath: string;
  readOnly: boolean;
  pathType: "Directory" | "DirectoryOrCreate";
}

export interface ApiserverHardening {
  extraArgs: Record<string, string>;
  extraVolumes: HostPathMount[];
}

export const AUDIT_LOG_FILE = `${HOST_PATHS.auditLogDir}/audit.log`;
/** the only paths an anonymous request may reach with anonymousAuthHealthOnly */
export const ANONYMOUS_PATHS = ["/livez", "/readyz", "/healthz"];

const readOnlyDir = (name: string, dir: string): HostPathMount => ({
  name,
  hostPath: dir,
  mountPath: dir,
  readOnly: true,
  pathType: "Directory",
});

/**
 * The apiserver flags and mounts of the security defaults. The encryption config is always there:
 * with secretsEncryption off it still lists the key (after identity), so Secrets written while it
 * was on stay readable.
 */
export function apiserverHardening(h: HardeningConfig): ApiserverHardening {
  const extraArgs: Record<string, string> = { "encryption-provider-config": HOST_PATHS.encryptionConfig };
  const extraVolumes = [readOnlyDir("kubeadm-ha-encryption", HOST_PATHS.encryptionConfigDir)];
  if (h.kubeletServingCerts) {
    // kubelets serve certificates the cluster CA signed (serverTLSBootstrap): verify them, so logs,
    // exec and port-forward cannot be intercepted by whoever answers at a node's address
    extraArgs["kubelet-certificate-authority"] = `${HOST_PATHS.pkiDir}/ca.crt`;
  }
  if (h.auditLog) {
    Object.assign(extraArgs, {
      "audit-policy-file": HOST_PATHS.auditPolicy,
      "audit-log-path": AUDIT_LOG_FILE,
      "audit-log-maxage": String(h.auditLogMaxAgeDays),
      "audit-log-maxbackup": String(h.auditLogMaxBackups),
      "audit-log-maxsize": String(h.auditLogMaxSizeMb),
    });
    extraVolumes.push(readOnlyDir("kubeadm-ha-audit-policy", HOST_PATHS.auditPolicyDir), {
      name: "kubeadm-ha-audit-log",
      hostPath: HOST_PATHS.auditLogDir,
      mountPath: HOST_PATHS.auditLogDir,
      readOnly: false,
      pathType: "DirectoryOrCreate",
    });
  }
  if (h.anonymousAuthHealthOnly) {
    // never together with --anonymous-auth (the apiserver refuses both); kubeadm does not set it
    extraArgs["authentication-config"] = HOST_PATHS.authenticationConfig;
    extraVolumes.push(readOnlyDir("kubeadm-ha-authentication", HOST_PATHS.authenticationConfigDir));
  }
  return { extraArgs, extraVolumes };
}

function yaml(doc: object): string {
  return stringify(doc, { lineWidth: 0 });
}

/**
 * Secrets at rest. On: new writes are encrypted with secretbox (XSalsa20-Poly1305, what the Kubernetes docs recommend over aescbc); identity second reads Secrets stored
 * before encryption was turned on. Off: identity first (new writes in plain text) but the key stays
 * listed, so Secrets written while it was on are still readable; dropping the key would make them
 * unreadable until restored. `key` is base64 of 32 bytes and a secret: this file is mode 0600.
 */
export function renderEncryptionConfig(key: string, encrypt: boolean): string {
  const secretbox = { secretbox: { keys: [{ name: "key1", secret: key }] } };
  const identity = { identity: {} };
  return yaml({
    apiVersion: "apiserver.config.k8s.io/v1",
    kind: "EncryptionConfiguration",
    resources: [{ resources: ["secrets"], providers: encrypt ? [secretbox, identity] : [identity, secretbox] }],
  });
}

type ResourceRef = { group: string; resources: string[] };
const core = (...resources: string[]): ResourceRef => ({ group: "", resources });
const WRITES = ["create", "update", "patch", "delete", "deletecollection"];

/**
 * A production audit policy; the first matching rule wins. Nothing is logged twice (no
 * RequestReceived stage). High-volume machine chatter that tells nobody anything is dropped;
 * Secrets, ConfigMaps and tokens are logged at Metadata only, so their content (credentials)
 * never lands in the log; other writes keep their request body (RBAC changes their response too);
 * everything else, reads included, is logged at Metadata.
 */
export function renderAuditPolicy(): string {
  return yaml({
    apiVersion: "audit.k8s.io/v1",
    kind: "Policy",
    omitStages: ["RequestReceived"],
    rules: [
      // kube-proxy watches Services and EndpointSlices on every node, all the time
      {
        level: "None",
        users: ["system:kube-proxy"],
        verbs: ["watch"],
        resources: [core("endpoints", "services"), { group: "discovery.k8s.io", resources: ["endpointslices"] }],
      },
      // kubelets read their own Node and renew their lease every few seconds
      { level: "None", userGroups: ["system:nodes"], verbs: ["get"], resources: [core("nodes", "nodes/status")] },
      {
        level: "None",
        userGroups: ["system:nodes"],
        verbs: ["get", "update"],
        namespaces: ["kube-node-lease"],
        resources: [{ group: "coordination.k8s.io", resources: ["leases"] }],
      },
      // controllers' leader election and endpoint bookkeeping in kube-system
      {
        level: "None",
        users: ["system:kube-controller-manager", "system:kube-scheduler", "system:serviceaccount:kube-system:endpoint-controller"],
        verbs: ["get", "update"],
        namespaces: ["kube-system"],
        resources: [core("endpoints"), { group: "coordination.k8s.io", resources: ["leases"] }],
      },
      {
        level: "None",
        users: ["system:apiserver"],
        verbs: ["get"],
        resources: [core("namespaces", "namespaces/status", "namespaces/finalize")],
      },
      // probes and version checks
      { level: "None", nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version", "/version/"] },
      // events are their own record already
      { level: "None", resources: [core("events"), { group: "events.k8s.io", resources: ["events"] }] },
      // who touched credentials, never what they were
      {
        level: "Metadata",
        resources: [
          core("secrets", "configmaps", "serviceaccounts/token"),
          { group: "authentication.k8s.io", resources: ["tokenreviews"] },
        ],
      },
      // who granted what, and what the apiserver made of it
      { level: "RequestResponse", verbs: WRITES, resources: [{ group: "rbac.authorization.k8s.io", resources: [] }] },
      { level: "Request", verbs: WRITES },
      { level: "Metadata" },
    ],
  });
}

/**
 * Anonymous requests only for the health endpoints (load balancers, keepalived and the static pod
 * probes use them); everything else needs credentials. AuthenticationConfiguration is v1beta1 in
 * 1.32 and 1.33 and v1 from 1.34 (AnonymousAuthConfigurableEndpoints: beta 1.32, GA 1.34; the
 * config validation refuses 1.31).
 */
export function renderAuthenticationConfig(kubernetesVersion: string): string {
  const minor = Number(kubernetesVersion.split(".")[1]);
  return yaml({
    apiVersion: minor >= 34 ? "apiserver.config.k8s.io/v1" : "apiserver.config.k8s.io/v1beta1",
    kind: "AuthenticationConfiguration",
    anonymous: { enabled: true, conditions: ANONYMOUS_PATHS.map((path) => ({ path })) },
  });
}

/** hardening.env: which defaults are on, for the control-plane scripts (read, never sourced). */
export function renderHardeningEnv(h: HardeningConfig): string {
  return ["# managed by kubeadm-ha", `KHA_KUBELET_SERVING_CERTS=${h.kubeletServingCerts}`, ""].join("\n");
}

/** The approver of kubelet serving certificates (kubelet-csr-approve.sh), run by the timer below. */
export function renderCsrApproverService(): string {
  return [
    "# managed by kubeadm-ha",
    "[Unit]",
    "Description=kubeadm-ha: approve valid kubelet serving certificate requests",
    "After=kubelet.service",
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${HOST_PATHS.libDir}/kubelet-csr-approve.sh`,
    "",
  ].join("\n");
}

export function renderCsrApproverTimer(): string {
  return [
    "# managed by kubeadm-ha",
    "[Unit]",
    `Description=kubeadm-ha: run ${HOST_VALUES.csrApproverUnit} every 20 s`,
    "",
    "[Timer]",
    "OnBootSec=20s",
    "OnUnitActiveSec=20s",
    "AccuracySec=2s",
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}
