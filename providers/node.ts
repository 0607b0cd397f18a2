// The node contract: what every provider (DigitalOcean, AWS, bare metal) hands the components.
// Components never learn which cloud made a node; they see its roles, its addresses, how to SSH
// to it, and which resources must exist before SSH can work.

import * as pulumi from "@pulumi/pulumi";
import type * as command from "@pulumi/command";
import type { NodeRole } from "../config/types";

export type { NodeRole } from "../config/types";

export type ConnectionArgs = command.types.input.remote.ConnectionArgs;

export interface ClusterNode {
  /** the Kubernetes node name and host name; stable across runs */
  name: string;
  roles: NodeRole[];
  /** address used for cluster traffic (etcd peers, apiserver, kubelet) */
  privateIp: pulumi.Input<string>;
  publicIp?: pulumi.Input<string>;
  /** how remote commands reach the node (private key is a secret; `proxy` for a bastion) */
  connection: ConnectionArgs;
  /** resources that must exist before SSH works (the droplet, its firewall, ...) */
  ready: pulumi.Resource[];
}

export function nodesWithRole(nodes: ClusterNode[], role: NodeRole): ClusterNode[] {
  return nodes.filter((n) => n.roles.includes(role));
}

export interface SshDefaults {
  user: string;
  port: number;
  privateKey: pulumi.Input<string>;
  dialErrorLimit: number;
  /** the host's pinned key (`type base64`): every connection refuses any other */
  hostKey: pulumi.Input<string>;
  bastion?: { host: string; user: string; port: number; hostKey: pulumi.Input<string> };
}

/**
 * Builds connection args; the private key is wrapped as a secret whatever the caller passed. The
 * host keys are required: upstream's command provider trusts any host when none is given.
 */
export function sshConnection(host: pulumi.Input<string>, ssh: SshDefaults): ConnectionArgs {
  const privateKey = pulumi.secret(ssh.privateKey);
  return {
    host,
    port: ssh.port,
    user: ssh.user,
    privateKey,
    hostKey: ssh.hostKey,
    dialErrorLimit: ssh.dialErrorLimit,
    perDialTimeout: 10,
    proxy: ssh.bastion
      ? {
          host: ssh.bastion.host,
          port: ssh.bastion.port,
          user: ssh.bastion.user,
          privateKey,
          hostKey: ssh.bastion.hostKey,
          dialErrorLimit: ssh.dialErrorLimit,
        }
      : undefined,
  };
}
