// Vip: `apiEndpoint: vip` — keepalived on every control plane carrying a floating address for
// the apiservers (L2 networks). Installed before kubeadm so the endpoint exists at `init`.

import * as pulumi from "@pulumi/pulumi";
import type * as command from "@pulumi/command";
import type { ClusterNode } from "../providers/node";
import { renderKeepalivedConf, vrrpRouterId } from "./render/keepalived";
import { HOST_PATHS } from "./hostLayout";
import { scriptOnEachNode, type PerNodeArgs } from "./phase";

export interface VipArgs extends PerNodeArgs {
  /** keepalived runs on each; the one with the highest priority holds the address */
  controlPlanes: ClusterNode[];
  /** the floating address (IPv4, on the control planes' own network) */
  vip: string;
  /** the interface carrying it on every control plane */
  interface: string;
  /** the apiserver port keepalived's health check probes */
  apiPort: number;
  /** the VRRP router id derives from it, so clusters on one network do not collide */
  clusterName: string;
  /** install keepalived from the OS packages when missing (release artifacts, not air-gapped) */
  installPackages: boolean;
}

/** The keepalived config of the index-th control plane: every control plane (`peers`) is a unicast peer. */
function keepalivedConf(args: VipArgs, peers: pulumi.Output<string[]>, node: ClusterNode, index: number): pulumi.Output<string> {
  return pulumi.all([peers, node.privateIp]).apply(([all, self]) =>
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
}

export class Vip extends pulumi.ComponentResource {
  /** per node name: its keepalived step; kubeadm on that node waits for it */
  readonly installs: Record<string, command.remote.Command>;

  constructor(name: string, args: VipArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kubeadm-ha:vip:Vip", name, {}, opts);
    const peers = pulumi.all(args.controlPlanes.map((cp) => pulumi.output(cp.privateIp)));
    this.installs = scriptOnEachNode(this, name, args.controlPlanes, args, {
      script: "vip-install.sh",
      resetScript: "vip-reset.sh",
      env: { KHA_INSTALL_PACKAGES: String(args.installPackages) },
      files: (node, index) => [{ path: HOST_PATHS.keepalivedConf, content: keepalivedConf(args, peers, node, index) }],
    });
    this.registerOutputs({});
  }
}
