// Bare metal: existing hosts reached over SSH, optionally through a bastion. Nothing is created;
// the component exists so every provider has the same shape (a component exposing `nodes`).

import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "../config/types";
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
    this.nodes = config.hosts.map((host) => ({
      name: host.name,
      roles: [...host.roles],
      privateIp: host.privateIp,
      publicIp: host.address === host.privateIp ? undefined : host.address,
      connection: sshConnection(host.address, {
        user: host.user,
        port: host.port,
        privateKey: args.sshPrivateKey,
        dialErrorLimit: config.ssh.dialErrorLimit,
        bastion: host.bastion,
      }),
      ready: [],
    }));
    this.registerOutputs({ nodeNames: this.nodes.map((n) => n.name) });
  }
}
