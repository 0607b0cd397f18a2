// Workers: every worker joins in parallel through its own local apiserver proxy (or the VIP /
// external endpoint), each with a token made for it alone. Adding a worker adds that worker's
// resources only: nothing of any other node changes. A worker that leaves (removed from the
// config) is drained and its Node deleted, from the first control plane, before its host is reset.

import * as pulumi from "@pulumi/pulumi";
import type * as command from "@pulumi/command";
import type { ClusterNode } from "../providers/node";
import { joinNode } from "./join";
import { nodeStep, type PerNodeArgs } from "./phase";
import { leaveStep } from "./remote";

export interface WorkersArgs extends PerNodeArgs {
  workers: ClusterNode[];
  /** the first control plane: creates each worker's token */
  tokenNode: ClusterNode;
  /** host:port the worker discovers the cluster through (localhost:6443 behind the proxy) */
  discoveryEndpoint: pulumi.Input<string>;
  caCertHash: pulumi.Input<string>;
  ignorePreflightErrors: string[];
  /** hardening.kubeletServingCerts (see JoinArgs) */
  kubeletServingCerts: boolean;
  /** hardening.anonymousAuthHealthOnly: workers discover through a file with this CA (see renderJoinConfig) */
  fileDiscovery?: { caCertPem: pulumi.Input<string> };
  /** what every worker waits for (the control plane) */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class Workers extends pulumi.ComponentResource {
  readonly joins: Record<string, command.remote.Command> = {};
  /** per worker: drains it and deletes its Node when it leaves (a local command, so a cluster that is gone never wedges destroy) */
  readonly leaves: Record<string, command.local.Command> = {};

  constructor(name: string, args: WorkersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kubeadm-ha:workers:Workers", name, {}, opts);
    const parent = { parent: this };
    for (const node of args.workers) {
      this.joins[node.name] = nodeStep(`${name}-${node.name}`, node, "kubeadm-reset.sh", args, this, (dependsOn) =>
        joinNode(
          `${name}-${node.name}`,
          {
            node,
            tokenNode: args.tokenNode,
            discoveryEndpoint: args.discoveryEndpoint,
            caCertHash: args.caCertHash,
            ignorePreflightErrors: args.ignorePreflightErrors,
            fileDiscovery: args.fileDiscovery,
            kubeletServingCerts: args.kubeletServingCerts,
            dependsOn: [...args.dependsOn, ...dependsOn],
          },
          parent,
        ),
      ).join;
      // created after the join, so destroyed before it (and before the reset that wipes the host)
      this.leaves[node.name] = leaveStep(`${name}-${node.name}-leave`, node, args.tokenNode, [this.joins[node.name]], parent);
    }
    this.registerOutputs({});
  }
}
