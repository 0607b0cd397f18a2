// Workers: every worker joins in parallel through its own local apiserver proxy (or the VIP /
// external endpoint), each with a token made for it alone. Adding a worker adds that worker's
// resources only: nothing of any other node changes. A worker that leaves (removed from the
// config) is drained and its Node deleted, from the first control plane, before its host is reset.

import * as pulumi from "@pulumi/pulumi";
import type * as command from "@pulumi/command";
import type { ClusterNode } from "../providers/node";
import { joinNode } from "./join";
import { nodeStep, type PerNodeArgs } from "./phase";
import { leaveStep, runOnNode } from "./remote";
import { upgradeEnvVars, type UpgradeEnv } from "./controlPlane";

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
  /** a planned upgrade to this version: workers drained and upgraded in batches (README, "Upgrading Kubernetes") */
  upgrade?: UpgradeEnv & { to: string; workersInParallel: number };
}

export class Workers extends pulumi.ComponentResource {
  readonly joins: Record<string, command.remote.Command> = {};
  /** per worker, while upgrading: its last upgrade step (uncordon); empty otherwise */
  readonly upgrades: Record<string, command.remote.Command> = {};
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
    if (args.upgrade) this.upgradeInBatches(name, args, args.upgrade);
    this.registerOutputs({});
  }

  /**
   * A new kubernetesVersion reaches the workers after every control plane: `workersInParallel` at a
   * time, each drained from the first control plane, upgraded on the node (kubeadm-upgrade.sh), and
   * uncordoned; the next batch starts when the last one is back. These steps exist only in the run
   * that upgrades (the next run removes them, which does nothing on the hosts), so a cluster that is
   * not upgrading keeps its joins in parallel.
   */
  private upgradeInBatches(name: string, args: WorkersArgs, upgrade: NonNullable<WorkersArgs["upgrade"]>): void {
    const parent = { parent: this };
    const version = upgrade.to;
    let previousBatch: pulumi.Resource[] = [];
    for (let i = 0; i < args.workers.length; i += upgrade.workersInParallel) {
      const batch = args.workers.slice(i, i + upgrade.workersInParallel);
      previousBatch = batch.map((node) => {
        const drainEnv = { KHA_NODE: node.name, KHA_KUBERNETES_VERSION: version, KHA_DRAIN_TIMEOUT: upgrade.drainTimeout };
        const drain = runOnNode(
          `${name}-${node.name}-upgrade-drain`,
          {
            node: args.tokenNode,
            script: "node-drain.sh",
            helpers: ["lib.sh"],
            env: { ...drainEnv, KHA_ACTION: "drain" },
            dependsOn: [this.joins[node.name], ...previousBatch],
          },
          parent,
        );
        const upgraded = runOnNode(
          `${name}-${node.name}-upgrade`,
          {
            node,
            script: "kubeadm-upgrade.sh",
            helpers: ["lib.sh"],
            env: { KHA_UPGRADE_MODE: "worker", KHA_NODE_NAME: node.name, KHA_KUBERNETES_VERSION: version, ...upgradeEnvVars(upgrade) },
            dependsOn: [drain],
          },
          parent,
        );
        this.upgrades[node.name] = runOnNode(
          `${name}-${node.name}-upgrade-uncordon`,
          {
            node: args.tokenNode,
            script: "node-drain.sh",
            helpers: ["lib.sh"],
            env: { ...drainEnv, KHA_ACTION: "uncordon" },
            dependsOn: [upgraded],
          },
          parent,
        );
        return this.upgrades[node.name];
      });
    }
  }
}
