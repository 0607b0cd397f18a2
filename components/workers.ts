// Workers: every worker joins in parallel through its own local apiserver proxy (or the VIP /
// external endpoint), each with a token made for it alone. Adding a worker adds that worker's
// resources only: nothing of any other node changes.

import * as pulumi from "@pulumi/pulumi";
import type * as command from "@pulumi/command";
import type { ClusterNode } from "../providers/node";
import { joinNode } from "./join";
import { nodeStep, part, type ClusterPhase } from "./phase";
import { controlPlaneEndpoint } from "./render/kubeadm";

export interface WorkersArgs {
  workers: ClusterNode[];
  /** the first control plane: creates each worker's token */
  tokenNode: ClusterNode;
  /** host:port the worker discovers the cluster through (localhost:6443 behind the proxy) */
  discoveryEndpoint: pulumi.Input<string>;
  caCertHash: pulumi.Input<string>;
  ignorePreflightErrors: string[];
  /** what every worker waits for (the control plane) */
  dependsOn: pulumi.Input<pulumi.Resource>[];
  /** per worker: its own prerequisites (host prep, its proxy) */
  after?: Record<string, pulumi.Input<pulumi.Resource>[]>;
  resetOnDestroy?: boolean;
}

export class Workers extends pulumi.ComponentResource {
  readonly joins: Record<string, command.remote.Command> = {};

  constructor(name: string, args: WorkersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kubeadm-ha:workers:Workers", name, {}, opts);
    const parent = { parent: this };
    for (const node of args.workers) {
      const step = { node, after: args.after?.[node.name], resetScript: "kubeadm-reset.sh", resetOnDestroy: args.resetOnDestroy };
      this.joins[node.name] = nodeStep(`${name}-${node.name}`, step, this, (dependsOn) =>
        joinNode(
          `${name}-${node.name}`,
          {
            node,
            tokenNode: args.tokenNode,
            discoveryEndpoint: args.discoveryEndpoint,
            caCertHash: args.caCertHash,
            ignorePreflightErrors: args.ignorePreflightErrors,
            dependsOn: [...args.dependsOn, ...dependsOn],
          },
          parent,
        ),
      ).join;
    }
    this.registerOutputs({});
  }
}

/** Phase "workers": every worker joins in parallel once the first control plane is up. */
export const workersPhase: ClusterPhase = {
  name: "workers",
  enabled: () => true,
  create(ctx) {
    const { spec } = ctx;
    const controlPlane = part(ctx, "controlPlane");
    const nodes = ctx.nodes.workers;
    const workers = new Workers(
      `${ctx.name}-workers`,
      {
        workers: nodes,
        tokenNode: controlPlane.first,
        discoveryEndpoint: controlPlaneEndpoint(spec.apiEndpoint),
        caCertHash: part(ctx, "pki").discoveryHash,
        ignorePreflightErrors: spec.ignorePreflightErrors,
        dependsOn: [controlPlane.init],
        after: Object.fromEntries(nodes.map((n) => [n.name, ctx.progress.before(n.name)])),
        resetOnDestroy: ctx.spec.resetOnDestroy,
      },
      { parent: ctx.parent },
    );
    ctx.parts.workers = workers;
    ctx.progress.recordAll(workers.joins);
  },
};
