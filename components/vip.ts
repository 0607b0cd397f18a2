// Vip: `apiEndpoint: vip` — keepalived on every control plane carrying a floating address for
// the apiservers (L2 networks). Installed before kubeadm so the endpoint exists at `init`.

import * as pulumi from "@pulumi/pulumi";
import type * as command from "@pulumi/command";
import type { ClusterNode } from "../providers/node";
import { resetOnDestroy, runOnNode } from "./remote";
import { renderKeepalivedConf, vrrpRouterId } from "./render/keepalived";
import { HOST_PATHS } from "./hostLayout";

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
      const after = args.after?.[node.name] ?? [];
      const reset = args.resetOnDestroy
        ? [resetOnDestroy(`${name}-${node.name}-reset`, { node, script: "vip-reset.sh", dependsOn: after }, parent)]
        : [];
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
      this.installs[node.name] = runOnNode(
        `${name}-${node.name}`,
        {
          node,
          script: "vip-install.sh",
          helpers: ["lib.sh"],
          env: { KHA_INSTALL_PACKAGES: String(args.installPackages) },
          files: [{ path: HOST_PATHS.keepalivedConf, content: conf }],
          dependsOn: [...after, ...reset],
        },
        parent,
      );
    });
    this.registerOutputs({});
  }
}
