// Vip: `apiEndpoint: vip` — keepalived on every control plane carrying a floating address for
// the apiservers (L2 networks). Installed before kubeadm so the endpoint exists at `init`.

import * as pulumi from "@pulumi/pulumi";
import type * as command from "@pulumi/command";
import type { ClusterNode } from "../providers/node";
import { runOnNode } from "./remote";
import { renderKeepalivedConf, vrrpRouterId } from "./render/keepalived";
import { HOST_PATHS } from "./hostLayout";
import { nodeStep, type ClusterPhase } from "./phase";

export interface VipArgs {
  controlPlanes: ClusterNode[];
  vip: string;
  interface: string;
  apiPort: number;
  clusterName: string;
  installPackages: boolean;
  after?: Record<string, pulumi.Input<pulumi.Resource>[]>;
  resetOnDestroy?: boolean;
}

export class Vip extends pulumi.ComponentResource {
  readonly installs: Record<string, command.remote.Command> = {};

  constructor(name: string, args: VipArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kubeadm-ha:vip:Vip", name, {}, opts);
    const parent = { parent: this };
    const peers = pulumi.all(args.controlPlanes.map((cp) => pulumi.output(cp.privateIp)));
    args.controlPlanes.forEach((node, index) => {
      const conf = pulumi.all([peers, node.privateIp]).apply(([all, self]) =>
        renderKeepalivedConf({
          vip: args.vip,
          interface: args.interface,
          routerId: vrrpRouterId(args.clusterName),
          index,
          peers: all,
          self,
          apiPort: args.apiPort,
        }),
      );
      const step = { node, after: args.after?.[node.name], resetScript: "vip-reset.sh", resetOnDestroy: args.resetOnDestroy };
      this.installs[node.name] = nodeStep(`${name}-${node.name}`, step, this, (dependsOn) =>
        runOnNode(
          `${name}-${node.name}`,
          {
            node,
            script: "vip-install.sh",
            helpers: ["lib.sh"],
            env: { KHA_INSTALL_PACKAGES: String(args.installPackages) },
            files: [{ path: HOST_PATHS.keepalivedConf, content: conf }],
            dependsOn,
          },
          parent,
        ),
      );
    });
    this.registerOutputs({});
  }
}

/** Phase "vip" (`apiEndpoint: vip`): keepalived on the control planes before kubeadm runs. */
export const vipPhase: ClusterPhase = {
  name: "vip",
  enabled: (ctx) => ctx.spec.apiEndpoint.mode === "vip",
  create(ctx) {
    const { spec } = ctx;
    const controlPlanes = ctx.nodes.controlPlanes;
    const vip = new Vip(
      `${ctx.name}-vip`,
      {
        controlPlanes,
        vip: spec.apiEndpoint.address!,
        interface: spec.apiEndpoint.vipInterface,
        apiPort: spec.apiEndpoint.port,
        clusterName: spec.clusterName,
        installPackages: spec.artifacts.source === "release",
        after: Object.fromEntries(controlPlanes.map((n) => [n.name, ctx.progress.before(n.name)])),
        resetOnDestroy: ctx.spec.resetOnDestroy,
      },
      { parent: ctx.parent },
    );
    ctx.parts.vip = vip;
    ctx.progress.recordAll(vip.installs);
  },
};
