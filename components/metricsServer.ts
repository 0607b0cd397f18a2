// MetricsServer: the resource metrics API (metrics.k8s.io), so `kubectl top` and
// HorizontalPodAutoscalers work. Upstream's metrics-server, deployed through the cluster's own API
// with the objects of its release manifest, with two things verified that its manifest leaves
// unverified:
// - the apiserver -> metrics-server hop: upstream registers its APIService with
//   insecureSkipTLSVerify and a certificate metrics-server signs itself at start. Here Pulumi's
//   PKI issues its serving certificate from a CA of its own, and the APIService carries that CA.
// - metrics-server -> kubelets: with hardening.kubeletServingCerts (the default) every kubelet
//   serves a certificate the cluster CA signed, so metrics-server checks it against that CA (the
//   kube-root-ca.crt ConfigMap every namespace has); without it, it cannot, and says so.

import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as tls from "@pulumi/tls";
import { clusterApiProvider, type ClusterApiArgs } from "./kubernetesApi";

export const METRICS_NAMESPACE = "kube-system";
const NAME = "metrics-server";
/** the name the apiserver connects to (the Service's DNS name): the serving certificate's */
export const METRICS_SERVICE_DNS = `${NAME}.${METRICS_NAMESPACE}.svc`;
const CONTAINER_PORT = 10250;

export interface MetricsServerArgs extends Omit<ClusterApiArgs, "enableConfigMapMutable"> {
  image: string;
  /** kubelets serve certificates the cluster CA signed (hardening.kubeletServingCerts) */
  verifyKubelets: boolean;
  /** certificate lifetime and renewal (the cluster's pki settings) */
  validityHours: number;
  earlyRenewalHours: number;
  /** what must be there first (a node that can run it, with its pod network) */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** metrics-server's flags: upstream's release defaults, the served certificate, and how kubelets are checked. */
export function metricsServerArgs(verifyKubelets: boolean): string[] {
  return [
    `--secure-port=${CONTAINER_PORT}`,
    "--cert-dir=/tmp",
    "--tls-cert-file=/certs/tls.crt",
    "--tls-private-key-file=/certs/tls.key",
    "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
    "--kubelet-use-node-status-port",
    "--metric-resolution=15s",
    verifyKubelets ? "--kubelet-certificate-authority=/kubelet-ca/ca.crt" : "--kubelet-insecure-tls",
  ];
}

export class MetricsServer extends pulumi.ComponentResource {
  readonly provider: k8s.Provider;
  readonly deployment: k8s.apps.v1.Deployment;
  readonly apiService: k8s.apiregistration.v1.APIService;

  constructor(name: string, args: MetricsServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kubeadm-ha:metricsServer:MetricsServer", name, {}, opts);
    if (!args.verifyKubelets) {
      void pulumi.log.warn(
        "metrics-server does not verify the kubelets' certificates (--kubelet-insecure-tls): they are self-signed " +
          "while hardening.kubeletServingCerts is false",
        this,
      );
    }
    const tlsOpts = { parent: this };
    const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, tlsOpts);
    const ca = new tls.SelfSignedCert(
      `${name}-ca`,
      {
        privateKeyPem: caKey.privateKeyPem,
        subject: { commonName: "kubeadm-ha metrics-server CA" },
        isCaCertificate: true,
        validityPeriodHours: args.validityHours,
        earlyRenewalHours: args.earlyRenewalHours,
        allowedUses: ["cert_signing", "digital_signature", "key_encipherment"],
      },
      tlsOpts,
    );
    const key = new tls.PrivateKey(`${name}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, tlsOpts);
    const csr = new tls.CertRequest(
      `${name}-csr`,
      { privateKeyPem: key.privateKeyPem, subject: { commonName: METRICS_SERVICE_DNS }, dnsNames: [METRICS_SERVICE_DNS] },
      tlsOpts,
    );
    const cert = new tls.LocallySignedCert(
      `${name}-cert`,
      {
        certRequestPem: csr.certRequestPem,
        caPrivateKeyPem: caKey.privateKeyPem,
        caCertPem: ca.certPem,
        validityPeriodHours: args.validityHours,
        earlyRenewalHours: args.earlyRenewalHours,
        allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
      },
      tlsOpts,
    );

    this.provider = clusterApiProvider(`${name}-k8s`, args, this);
    const k8sOpts = { parent: this, provider: this.provider, dependsOn: args.dependsOn };
    const labels = { "k8s-app": NAME };
    const meta = (extra: Record<string, string> = {}) => ({ name: NAME, namespace: METRICS_NAMESPACE, labels: { ...labels, ...extra } });

    const sa = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: meta() }, k8sOpts);
    const reader = new k8s.rbac.v1.ClusterRole(
      `${name}-aggregated-reader`,
      {
        // folded into the view, edit and admin roles: whoever may read pods may read their metrics
        metadata: {
          name: "system:aggregated-metrics-reader",
          labels: {
            ...labels,
            "rbac.authorization.k8s.io/aggregate-to-view": "true",
            "rbac.authorization.k8s.io/aggregate-to-edit": "true",
            "rbac.authorization.k8s.io/aggregate-to-admin": "true",
          },
        },
        rules: [{ apiGroups: ["metrics.k8s.io"], resources: ["pods", "nodes"], verbs: ["get", "list", "watch"] }],
      },
      k8sOpts,
    );
    const role = new k8s.rbac.v1.ClusterRole(
      `${name}-role`,
      {
        metadata: { name: "system:metrics-server", labels },
        rules: [
          { apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"] },
          { apiGroups: [""], resources: ["pods", "nodes"], verbs: ["get", "list", "watch"] },
        ],
      },
      k8sOpts,
    );
    const subjects = [{ kind: "ServiceAccount", name: NAME, namespace: METRICS_NAMESPACE }];
    const bindings = [
      new k8s.rbac.v1.ClusterRoleBinding(
        `${name}-binding`,
        { metadata: { name: "system:metrics-server", labels }, roleRef: roleRef("ClusterRole", "system:metrics-server"), subjects },
        { ...k8sOpts, dependsOn: [...deps(args.dependsOn), role] },
      ),
      // delegated authentication and authorization of the requests the apiserver forwards
      new k8s.rbac.v1.ClusterRoleBinding(
        `${name}-auth-delegator`,
        {
          metadata: { name: "metrics-server:system:auth-delegator", labels },
          roleRef: roleRef("ClusterRole", "system:auth-delegator"),
          subjects,
        },
        k8sOpts,
      ),
      new k8s.rbac.v1.RoleBinding(
        `${name}-auth-reader`,
        {
          metadata: { name: "metrics-server-auth-reader", namespace: METRICS_NAMESPACE, labels },
          roleRef: roleRef("Role", "extension-apiserver-authentication-reader"),
          subjects,
        },
        k8sOpts,
      ),
    ];
    const secret = new k8s.core.v1.Secret(
      `${name}-tls`,
      {
        metadata: { ...meta(), name: `${NAME}-tls` },
        type: "kubernetes.io/tls",
        stringData: { "tls.crt": cert.certPem, "tls.key": key.privateKeyPem },
      },
      k8sOpts,
    );
    const service = new k8s.core.v1.Service(
      `${name}-service`,
      { metadata: meta(), spec: { selector: labels, ports: [{ name: "https", port: 443, targetPort: "https", protocol: "TCP" }] } },
      k8sOpts,
    );
    // a renewed certificate rolls the pods (they read it at start)
    const certChecksum = cert.certPem.apply((pem) => crypto.createHash("sha256").update(pem).digest("hex"));
    this.deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: meta(),
        spec: {
          selector: { matchLabels: labels },
          strategy: { rollingUpdate: { maxUnavailable: 0 } },
          template: {
            metadata: { labels, annotations: { "kubeadm-ha/cert-sha256": certChecksum } },
            spec: {
              serviceAccountName: sa.metadata.name,
              priorityClassName: "system-cluster-critical",
              nodeSelector: { "kubernetes.io/os": "linux" },
              containers: [
                {
                  name: NAME,
                  image: args.image,
                  imagePullPolicy: "IfNotPresent",
                  args: metricsServerArgs(args.verifyKubelets),
                  ports: [{ name: "https", containerPort: CONTAINER_PORT, protocol: "TCP" }],
                  readinessProbe: {
                    httpGet: { path: "/readyz", port: "https", scheme: "HTTPS" },
                    initialDelaySeconds: 5,
                    periodSeconds: 5,
                    failureThreshold: 3,
                  },
                  livenessProbe: { httpGet: { path: "/livez", port: "https", scheme: "HTTPS" }, periodSeconds: 10, failureThreshold: 3 },
                  resources: { requests: { cpu: "100m", memory: "200Mi" } },
                  securityContext: {
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    runAsNonRoot: true,
                    runAsUser: 65534,
                    capabilities: { drop: ["ALL"] },
                    seccompProfile: { type: "RuntimeDefault" },
                  },
                  volumeMounts: [
                    { name: "tmp", mountPath: "/tmp" },
                    { name: "certs", mountPath: "/certs", readOnly: true },
                    ...(args.verifyKubelets ? [{ name: "kubelet-ca", mountPath: "/kubelet-ca", readOnly: true }] : []),
                  ],
                },
              ],
              volumes: [
                { name: "tmp", emptyDir: {} },
                { name: "certs", secret: { secretName: secret.metadata.name } },
                ...(args.verifyKubelets ? [{ name: "kubelet-ca", configMap: { name: "kube-root-ca.crt" } }] : []),
              ],
            },
          },
        },
      },
      { ...k8sOpts, dependsOn: [...deps(args.dependsOn), ...bindings, reader] },
    );
    this.apiService = new k8s.apiregistration.v1.APIService(
      `${name}-apiservice`,
      {
        metadata: { name: "v1beta1.metrics.k8s.io", labels },
        spec: {
          group: "metrics.k8s.io",
          version: "v1beta1",
          groupPriorityMinimum: 100,
          versionPriority: 100,
          service: { name: service.metadata.name, namespace: METRICS_NAMESPACE },
          caBundle: ca.certPem.apply((pem) => Buffer.from(pem).toString("base64")),
        },
      },
      { ...k8sOpts, dependsOn: [...deps(args.dependsOn), this.deployment] },
    );
    this.registerOutputs({ apiService: this.apiService.metadata.name });
  }
}

function roleRef(kind: "ClusterRole" | "Role", name: string) {
  return { apiGroup: "rbac.authorization.k8s.io", kind, name };
}

function deps(list?: pulumi.Input<pulumi.Resource>[]): pulumi.Input<pulumi.Resource>[] {
  return list ?? [];
}
