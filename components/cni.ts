// Cni: the pod network. calico/flannel: their manifest applied once from the first control
// plane with the cluster's pod CIDR. bridge: a per-node sync loop (routes + CNI config from each
// node's podCIDR), installed on each node after it joined, so adding a node touches that node only.

import * as pulumi from "@pulumi/pulumi";
import type * as command from "@pulumi/command";
import type { CniName } from "../config/types";
import type { ClusterNode } from "../providers/node";
import { runOnNode } from "./remote";
import { cniManifestUrl, renderPodNetworkRbac, renderPodNetworkService, renderPodNetworkTimer } from "./render/cni";
import { HOST_PATHS } from "./hostLayout";

export interface CniArgs {
  cni: CniName;
  podCidr: string;
  nodes: ClusterNode[];
  firstControlPlane: ClusterNode;
  /** calico/flannel: a manifest file on the Pulumi machine (air-gapped) instead of the URL */
  manifestContent?: string;
  /** per node: its join (bridge) */
  joined: Record<string, pulumi.Input<pulumi.Resource>>;
  /** the control plane's last step (calico/flannel) */
  controlPlaneReady: pulumi.Input<pulumi.Resource>;
}

export class Cni extends pulumi.ComponentResource {
  readonly steps: command.remote.Command[] = [];
  /** per node name: its own pod-network step (the bridge CNI); none for a CNI applied once */
  readonly byNode: Record<string, command.remote.Command> = {};
  /** the cluster-wide steps (the bridge's RBAC, or the manifest applied once) */
  readonly clusterSteps: command.remote.Command[] = [];

  constructor(name: string, args: CniArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kubeadm-ha:cni:Cni", name, {}, opts);
    const parent = { parent: this };
    if (args.cni === "bridge") {
      const rbac = runOnNode(
        `${name}-rbac`,
        {
          node: args.firstControlPlane,
          script: "cni-bridge-rbac.sh",
          helpers: ["lib.sh"],
          files: [{ path: HOST_PATHS.podNetworkRbac, content: renderPodNetworkRbac() }],
          dependsOn: [args.controlPlaneReady],
        },
        parent,
      );
      this.steps.push(rbac);
      this.clusterSteps.push(rbac);
      for (const node of args.nodes) {
        this.steps.push(
          (this.byNode[node.name] = runOnNode(
            `${name}-${node.name}`,
            {
              node,
              script: "cni-bridge.sh",
              helpers: ["lib.sh", "pod-network-sync.sh"],
              files: [
                { path: HOST_PATHS.podNetworkServiceFile, content: renderPodNetworkService(node.name, args.podCidr) },
                { path: HOST_PATHS.podNetworkTimerFile, content: renderPodNetworkTimer() },
              ],
              dependsOn: [args.joined[node.name], rbac],
            },
            parent,
          )),
        );
      }
    } else {
      const manifestPath = HOST_PATHS.cniManifestFile;
      this.steps.push(
        (this.clusterSteps[0] = runOnNode(
          `${name}-apply`,
          {
            node: args.firstControlPlane,
            script: "cni-apply.sh",
            helpers: ["lib.sh"],
            env: {
              KHA_CNI: args.cni,
              KHA_POD_CIDR: args.podCidr,
              KHA_CNI_URL: args.manifestContent ? "" : cniManifestUrl(args.cni),
              KHA_CNI_MANIFEST: args.manifestContent ? manifestPath : "",
            },
            files: args.manifestContent ? [{ path: manifestPath, content: args.manifestContent }] : [],
            dependsOn: [args.controlPlaneReady],
          },
          parent,
        )),
      );
    }
    this.registerOutputs({});
  }
}
