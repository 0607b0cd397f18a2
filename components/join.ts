// A node joining the cluster: a short-lived token created on the first control plane for this
// node only, then `kubeadm join` on the node with that token inside its (secret) join config, then
// the token deleted. Shared by ControlPlane (other control planes) and Workers.

import * as pulumi from "@pulumi/pulumi";
import type * as command from "@pulumi/command";
import type { ClusterNode } from "../providers/node";
import { HostFile, runOnNode } from "./remote";
import { JoinSettings, NodeSettings, renderJoinConfig, renderJoinDiscoveryFile } from "./render/kubeadm";
import { HOST_PATHS } from "./hostLayout";

export interface JoinArgs {
  node: ClusterNode;
  /** where tokens are created (the first control plane) */
  tokenNode: ClusterNode;
  discoveryEndpoint: pulumi.Input<string>;
  caCertHash: pulumi.Input<string>;
  ignorePreflightErrors: string[];
  /** control planes: their port, and the CA for file discovery (see renderJoinConfig) */
  controlPlane?: { bindPort: number; caCertPem: pulumi.Input<string> };
  /** workers under hardening.anonymousAuthHealthOnly: file discovery too, with this CA */
  fileDiscovery?: { caCertPem: pulumi.Input<string> };
  /** hardening.kubeletServingCerts: also brings a node that joined before a change of it along */
  kubeletServingCerts: boolean;
  /** more files the node needs before joining (control planes: certificates, kubeadm.yaml) */
  files?: HostFile[];
  /** more environment for kubeadm-join.sh (control planes while upgrading: kubeadm-upgrade.sh's) */
  env?: Record<string, pulumi.Input<string>>;
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

const TOKEN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

/**
 * The token is the last line the token step prints (put-files reports its files first). Its value
 * never appears in an error message.
 */
export function tokenFromStdout(stdout: string, node: string): string {
  const token = stdout.trim().split("\n").pop()?.trim() ?? "";
  if (!TOKEN.test(token)) throw new Error(`kubeadm token create on the first control plane printed no bootstrap token for ${node}`);
  return token;
}

export interface Joined {
  token: command.remote.Command;
  join: command.remote.Command;
  /** deletes the token once the node joined (it would otherwise live out its 30 minutes) */
  tokenDelete: command.remote.Command;
}

export function joinNode(name: string, args: JoinArgs, opts: pulumi.CustomResourceOptions): Joined {
  const token = runOnNode(
    `${name}-token`,
    { node: args.tokenNode, script: "kubeadm-token.sh", env: { KHA_FOR: args.node.name }, dependsOn: args.dependsOn, secretStdout: true },
    opts,
  );
  const ca = args.controlPlane?.caCertPem ?? args.fileDiscovery?.caCertPem ?? "";
  const settings = pulumi.all([args.node.privateIp, args.discoveryEndpoint, args.caCertHash, token.stdout, ca]);
  // both files hold the token: one secret, rendered together
  const rendered = pulumi.secret(
    settings.apply(([ip, discoveryEndpoint, caCertHash, stdout, caCertPem]) => {
      const node: NodeSettings = { name: args.node.name, ip, roles: args.node.roles };
      const join: JoinSettings = {
        discoveryEndpoint,
        token: tokenFromStdout(stdout, args.node.name),
        caCertHash,
        ignorePreflightErrors: args.ignorePreflightErrors,
        controlPlane: args.controlPlane ? { advertiseAddress: ip, bindPort: args.controlPlane.bindPort } : undefined,
        fileDiscovery: Boolean(args.fileDiscovery),
      };
      return { joinConfig: renderJoinConfig(join, node), discovery: renderJoinDiscoveryFile(join, caCertPem) ?? "" };
    }),
  );
  const discoveryFile: HostFile[] =
    args.controlPlane || args.fileDiscovery ? [{ path: HOST_PATHS.discoveryConf, content: rendered.discovery, mode: "0600" }] : [];
  const join = runOnNode(
    `${name}-join`,
    {
      node: args.node,
      script: "kubeadm-join.sh",
      helpers: ["lib.sh", ...(args.controlPlane ? ["etcd-restore.sh", "kubeadm-upgrade.sh"] : [])],
      env: {
        KHA_NODE_NAME: args.node.name,
        KHA_CONTROL_PLANE: String(Boolean(args.controlPlane)),
        KHA_KUBELET_SERVING_CERTS: String(args.kubeletServingCerts),
        ...args.env,
      },
      files: [...(args.files ?? []), ...discoveryFile, { path: HOST_PATHS.kubeadmJoinConfig, content: rendered.joinConfig, mode: "0600" }],
      dependsOn: [...args.dependsOn, token],
    },
    opts,
  );
  const tokenDelete = runOnNode(
    `${name}-token-delete`,
    {
      node: args.tokenNode,
      script: "kubeadm-token-delete.sh",
      helpers: ["lib.sh"],
      // the token's id is its public half; the whole output stays secret all the same
      env: { KHA_FOR: args.node.name, KHA_TOKEN_ID: token.stdout.apply((out) => tokenFromStdout(out, args.node.name).split(".")[0]) },
      dependsOn: [join],
    },
    opts,
  );
  return { token, join, tokenDelete };
}
