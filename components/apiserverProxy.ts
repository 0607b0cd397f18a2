// ApiserverProxy: on every Kubernetes node that is not a control plane, nginx on localhost:6443
// forwarding to every apiserver (see render/nginx.ts). Installed before the node joins, since the
// node joins through it. A change of control-plane membership rewrites every proxy's config.

import * as pulumi from "@pulumi/pulumi";
import type * as command from "@pulumi/command";
import type { ClusterNode } from "../providers/node";
import { renderNginxProxyConf, renderProxyUnit } from "./render/nginx";
import { HOST_PATHS } from "./hostLayout";
import { scriptOnEachNode, type PerNodeArgs } from "./phase";

export interface ApiserverProxyArgs extends PerNodeArgs {
  /** where a proxy runs: the Kubernetes nodes that are not control planes */
  nodes: ClusterNode[];
  /** its upstreams: every apiserver */
  controlPlanes: ClusterNode[];
  /** the apiservers' port, and the one the proxy listens on at localhost */
  apiPort: number;
  /** nginx with the stream module, run by containerd as a host service */
  image: string;
  /** pull the image when it is not preloaded (release artifacts) */
  pull: boolean;
}

/** nginx on localhost of every given node, forwarding to every apiserver. */
export class ApiserverProxy extends pulumi.ComponentResource {
  /** per node name: its proxy's install step (the node joins through the proxy, so after it) */
  readonly installs: Record<string, command.remote.Command>;

  constructor(name: string, args: ApiserverProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kubeadm-ha:apiserverProxy:ApiserverProxy", name, {}, opts);
    const conf = pulumi
      .all(args.controlPlanes.map((cp) => pulumi.output(cp.privateIp)))
      .apply((upstreams) => renderNginxProxyConf({ upstreams, apiPort: args.apiPort, listenPort: args.apiPort }));
    this.installs = scriptOnEachNode(this, name, args.nodes, args, {
      script: "proxy-install.sh",
      resetScript: "proxy-reset.sh",
      env: { KHA_PROXY_IMAGE: args.image, KHA_PULL: String(args.pull) },
      files: () => [
        { path: `${HOST_PATHS.proxyConfigDir}/nginx.conf`, content: conf },
        { path: HOST_PATHS.proxyUnitFile, content: renderProxyUnit(args.image) },
      ],
    });
    this.registerOutputs({});
  }
}
