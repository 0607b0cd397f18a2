// Bare metal: existing hosts reached over SSH, optionally through a bastion. Nothing is created
// but, under ssh.trustOnFirstUse, the record of a host key seen first; the component exists so
// every provider has the same shape (a component exposing `nodes`).

import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "../config/types";
import { bastionPinner, pinnedHostKey } from "./hostKeys";
import { ClusterNode, sshConnection } from "./node";

export interface BareMetalArgs {
  config: ClusterConfig;
  sshPrivateKey: pulumi.Input<string>;
}

export class BareMetalInfrastructure extends pulumi.ComponentResource {
  readonly nodes: ClusterNode[];

  constructor(name: string, args: BareMetalArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kubeadm-ha:providers:BareMetal", name, {}, opts);
    const { config } = args;
    const privateKey = args.sshPrivateKey;
    const pinBastion = bastionPinner(name, privateKey, this);
    this.nodes = config.hosts.map((host) => {
      const bastion = pinBastion(host.bastion);
      const endpoint = { host: host.address, port: host.port, user: host.user, hostKey: host.hostKey };
      const hostKey = pinnedHostKey(`${name}-${host.name}-host-key`, { label: host.name, endpoint, privateKey, bastion }, this);
      return {
        name: host.name,
        roles: [...host.roles],
        privateIp: host.privateIp,
        publicIp: host.address === host.privateIp ? undefined : host.address,
        connection: sshConnection(host.address, {
          user: host.user,
          port: host.port,
          privateKey,
          hostKey,
          dialErrorLimit: config.ssh.dialErrorLimit,
          bastion,
        }),
        ready: [],
      };
    });
    this.registerOutputs({ nodeNames: this.nodes.map((n) => n.name) });
  }
}
