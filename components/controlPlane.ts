// ControlPlane: certificates placed under /etc/kubernetes/pki on every control plane, `kubeadm
// init` on the first (once per cluster: see kubeadm-init.sh), `kubeadm join --control-plane` on
// the others one after another (no upload-certs secret: a control plane added months later joins
// the same way), leader election for controller-manager and scheduler, and the admin kubeconfig as
// a secret output. A control plane removed from the config is drained and its Node deleted before
// its host is reset; its etcd member (if it has one) left the cluster earlier, in the etcd phase.

import * as pulumi from "@pulumi/pulumi";
import type * as command from "@pulumi/command";
import type { ClusterNode } from "../providers/node";
import { joinNode } from "./join";
import type { ClusterPki } from "./pki";
import { HostFile, leaveStep, runOnNode } from "./remote";
import { ClusterSettings, renderInitConfig, renderJoinConfig } from "./render/kubeadm";
import { renderKubeconfig } from "./render/kubeconfig";
import {
  renderAuditPolicy,
  renderAuthenticationConfig,
  renderCsrApproverService,
  renderCsrApproverTimer,
  renderEncryptionConfig,
  renderHardeningEnv,
} from "./render/hardening";
import { readScript } from "./scripts";
import { HOST_PATHS } from "./hostLayout";
import { nodeStep, type PerNodeArgs } from "./phase";

export interface ControlPlaneArgs extends PerNodeArgs {
  controlPlanes: ClusterNode[];
  pki: ClusterPki;
  settings: Omit<ClusterSettings, "etcdEndpoints">;
  etcdEndpoints: pulumi.Input<string[]>;
  /** for an upgrade (kubeadm-upgrade.sh): the drain bound and the preflight checks to ignore */
  upgrade?: UpgradeEnv;
  /**
   * The joins of a cluster that runs nothing yet go at once (kubeadm sees etcd as external, so a
   * control-plane join adds no etcd member: nothing kubeadm serialises). Otherwise one at a time:
   * a join step's update (new settings, renewed certificates, an upgrade) restarts that control
   * plane, and two must never be down together.
   */
  parallelJoins?: boolean;
}

/** kubeadm-upgrade.sh's settings (constant between config changes: a run after an upgrade re-runs no step for them) */
export interface UpgradeEnv {
  drainTimeout: string;
  ignorePreflightErrors: string[];
}

export function upgradeEnvVars(upgrade: UpgradeEnv | undefined): Record<string, string> {
  if (!upgrade) return {};
  return { KHA_DRAIN_TIMEOUT: upgrade.drainTimeout, KHA_IGNORE_PREFLIGHT: upgrade.ignorePreflightErrors.join(",") };
}

/**
 * The files of the security defaults every control plane needs before kubeadm runs (the apiserver
 * reads them at start), and what kubeadm-init.sh / kubeadm-join.sh need to install or remove the
 * kubelet serving-certificate approver. The encryption config holds the key: mode 0600, and the
 * step's stdin is secret because of it.
 */
export function hardeningFiles(settings: ControlPlaneArgs["settings"], encryptionKey: pulumi.Output<string>): HostFile[] {
  const h = settings.hardening;
  const script = (name: string): HostFile => ({ path: `${HOST_PATHS.scriptsDir}/${name}`, content: readScript(name), mode: "0755" });
  return [
    { path: HOST_PATHS.hardeningEnv, content: renderHardeningEnv(h) },
    {
      path: HOST_PATHS.encryptionConfig,
      content: encryptionKey.apply((key) => renderEncryptionConfig(key, h.secretsEncryption)),
      mode: "0600",
    },
    ...(h.auditLog ? [{ path: HOST_PATHS.auditPolicy, content: renderAuditPolicy() }] : []),
    ...(h.anonymousAuthHealthOnly
      ? [{ path: HOST_PATHS.authenticationConfig, content: renderAuthenticationConfig(settings.kubernetesVersion) }]
      : []),
    // the approver's install script runs either way: it removes the approver when turned off
    script("kubelet-csr-approver-install.sh"),
    ...(h.kubeletServingCerts
      ? [
          script("kubelet-csr-approve.sh"),
          { path: HOST_PATHS.csrApproverServiceFile, content: renderCsrApproverService() },
          { path: HOST_PATHS.csrApproverTimerFile, content: renderCsrApproverTimer() },
        ]
      : []),
  ];
}

/** The address admins (and the output kubeconfig) use to reach the API. */
export function adminServer(settings: ControlPlaneArgs["settings"], first: ClusterNode): pulumi.Output<string> {
  const { endpoint } = settings;
  const host = endpoint.mode === "nginx-proxy" ? pulumi.output(first.publicIp ?? first.privateIp) : pulumi.output(endpoint.address!);
  return pulumi.interpolate`https://${host}:${endpoint.port}`;
}

export class ControlPlane extends pulumi.ComponentResource {
  readonly init: command.remote.Command;
  readonly joins: Record<string, command.remote.Command> = {};
  /** per control plane: drains it and deletes its Node when it leaves (see leaveStep) */
  readonly leaves: Record<string, command.local.Command> = {};
  /** the last control-plane step of the chain (with parallelJoins, only the last join started) */
  readonly ready: command.remote.Command;
  readonly first: ClusterNode;
  readonly server: pulumi.Output<string>;
  /** admin kubeconfig (client certificate in group kubeadm:cluster-admins); a secret */
  readonly kubeconfig: pulumi.Output<string>;

  constructor(name: string, args: ControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kubeadm-ha:controlPlane:ControlPlane", name, {}, opts);
    if (args.controlPlanes.length === 0) throw new Error("ControlPlane needs at least one control-plane node");
    const parent = { parent: this };
    const [first, ...others] = args.controlPlanes;
    this.first = first;
    const { settings, pki } = args;

    const files = (node: ClusterNode): HostFile[] => {
      const apiserver = pki.apiservers[node.name];
      if (!apiserver) throw new Error(`ClusterPki has no apiserver certificate for ${node.name}`);
      const config = pulumi
        .all([node.privateIp, args.etcdEndpoints])
        .apply(([ip, etcdEndpoints]) => renderInitConfig({ ...settings, etcdEndpoints }, { name: node.name, ip, roles: node.roles }));
      const key = (path: string, content: pulumi.Input<string>): HostFile => ({
        path: `${HOST_PATHS.pkiDir}/${path}`,
        content,
        mode: "0600",
      });
      const cert = (path: string, content: pulumi.Input<string>): HostFile => ({ path: `${HOST_PATHS.pkiDir}/${path}`, content });
      return [
        { path: HOST_PATHS.kubeadmConfig, content: config },
        cert("ca.crt", pki.kubernetesCa.certPem),
        key("ca.key", pki.kubernetesCa.keyPem),
        cert("apiserver.crt", apiserver.certPem),
        key("apiserver.key", apiserver.keyPem),
        cert("apiserver-kubelet-client.crt", pki.apiserverKubeletClient.certPem),
        key("apiserver-kubelet-client.key", pki.apiserverKubeletClient.keyPem),
        cert("front-proxy-ca.crt", pki.frontProxyCa.certPem),
        key("front-proxy-ca.key", pki.frontProxyCa.keyPem),
        cert("front-proxy-client.crt", pki.frontProxyClient.certPem),
        key("front-proxy-client.key", pki.frontProxyClient.keyPem),
        cert("sa.pub", pki.serviceAccount.publicKeyPem),
        key("sa.key", pki.serviceAccount.privateKeyPem),
        cert("apiserver-etcd-client.crt", pki.apiserverEtcdClient.certPem),
        key("apiserver-etcd-client.key", pki.apiserverEtcdClient.keyPem),
        { path: `${HOST_PATHS.etcdPkiDir}/ca.crt`, content: pki.etcdCa.certPem },
        {
          path: HOST_PATHS.kubeconfigRenewal,
          content: pulumi.interpolate`kubeadm's kubeconfigs: renew before ${pki.kubeconfigsRenewal}\n`,
        },
        ...hardeningFiles(settings, pki.secretsEncryptionKey),
      ];
    };
    // `kubeadm init` once per cluster, ever: a first control plane that lost its state joins the
    // running cluster instead (kubeadm-init.sh asks etcd), with this configuration and through one
    // of the other control planes
    const rejoinConfig = pulumi.output(first.privateIp).apply((ip) =>
      renderJoinConfig(
        {
          discoveryEndpoint: "",
          token: "",
          caCertHash: "",
          ignorePreflightErrors: settings.ignorePreflightErrors,
          controlPlane: { advertiseAddress: ip, bindPort: settings.endpoint.port },
        },
        { name: first.name, ip, roles: first.roles },
      ),
    );
    const otherApiservers = pulumi
      .all(others.map((n) => pulumi.output(n.privateIp)))
      .apply((ips) => ips.map((ip) => `${ip}:${settings.endpoint.port}`).join(" "));
    this.init = nodeStep(`${name}-${first.name}`, first, "kubeadm-reset.sh", args, this, (dependsOn) =>
      runOnNode(
        `${name}-${first.name}-init`,
        {
          node: first,
          script: "kubeadm-init.sh",
          // (etcd-restore.sh: every control plane stops and starts for a restore, README "etcd restore")
          // (kubeadm-upgrade.sh: a new kubernetesVersion starts here, `kubeadm upgrade apply`)
          helpers: ["lib.sh", "etcd-restore.sh", "kubeadm-upgrade.sh"],
          env: {
            KHA_NODE_NAME: first.name,
            KHA_ETCD_ENDPOINTS: pulumi.output(args.etcdEndpoints).apply((e) => e.join(",")),
            KHA_OTHER_APISERVERS: otherApiservers,
            ...upgradeEnvVars(args.upgrade),
          },
          files: [...files(first), { path: HOST_PATHS.kubeadmRejoinConfig, content: rejoinConfig }],
          dependsOn,
        },
        parent,
      ),
    );
    this.leaves[first.name] = leaveStep(`${name}-${first.name}-leave`, first, first, [this.init], parent);

    const discovery = pulumi.interpolate`${first.privateIp}:${settings.endpoint.port}`;
    let previous: command.remote.Command = this.init;
    for (const node of others) {
      const after = previous;
      const { join } = nodeStep(`${name}-${node.name}`, node, "kubeadm-reset.sh", args, this, (dependsOn) =>
        joinNode(
          `${name}-${node.name}`,
          {
            node,
            tokenNode: first,
            discoveryEndpoint: discovery,
            caCertHash: pki.discoveryHash,
            ignorePreflightErrors: settings.ignorePreflightErrors,
            controlPlane: { bindPort: settings.endpoint.port, caCertPem: pki.kubernetesCa.certPem },
            kubeletServingCerts: settings.hardening.kubeletServingCerts,
            env: upgradeEnvVars(args.upgrade),
            files: files(node),
            dependsOn: args.parallelJoins ? [...dependsOn, this.init] : [...dependsOn, after],
          },
          parent,
        ),
      );
      this.joins[node.name] = join;
      // (it depends on the join, which depends on the first's init: deleted before either host's reset)
      this.leaves[node.name] = leaveStep(`${name}-${node.name}-leave`, node, first, [join], parent);
      previous = join;
    }
    this.ready = previous;

    this.server = adminServer(settings, first);
    this.kubeconfig = pulumi.secret(
      pulumi
        // resolves once the first control plane's API answers (after kubeadm init), so consumers (a
        // Kubernetes provider) wait for it, and no longer: its objects go in while the others join
        .all([this.server, pki.kubernetesCa.certPem, pki.admin.certPem, pki.admin.keyPem, this.init.id])
        .apply(([server, caCertPem, clientCertPem, clientKeyPem]) =>
          renderKubeconfig({ clusterName: settings.clusterName, server, caCertPem, clientCertPem, clientKeyPem }),
        ),
    );
    this.registerOutputs({ server: this.server, kubeconfig: this.kubeconfig });
  }
}
