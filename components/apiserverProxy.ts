// ApiserverProxy: on every Kubernetes node that is not a control plane, nginx on localhost:6443
// forwarding to every apiserver (see render/nginx.ts). Installed before the node joins, since the
// node joins through it. A change of control-plane membership rewrites every proxy's config.

import * as pulumi from "@pulumi/pulumi";
import type * as command from "@pulumi/command";
import type { ClusterNode } from "../providers/node";
import { resetOnDestroy, runOnNode } from "./remote";
import { renderNginxProxyConf, renderProxyUnit } from "./render/nginx";
import { HOST_PATHS } from "./hostLayout";

export interface ApiserverProxyArgs {
  nodes: ClusterNode[];
  controlPlanes: ClusterNode[];
  apiPort: number;
  image: string;
  /** pull the image when it is not preloaded (release artifacts) */
  pull: boolean;
  after?: Record<string, pulumi.Input<pulumi.Resource>[]>;
  resetOnDestroy?: boolean;
}

export class ApiserverProxy extends pulumi.ComponentResource {
  readonly installs: Record<string, command.remote.Command> = {};

  constructor(name: string, args: ApiserverProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kubeadm-ha:apiserverProxy:ApiserverProxy", name, {}, opts);
    const parent = { parent: this };
    const conf = pulumi
      .all(args.controlPlanes.map((cp) => pulumi.output(cp.privateIp)))
      .apply((upstreams) => renderNginxProxyConf({ upstreams, apiPort: args.apiPort, listenPort: args.apiPort }));
    for (const node of args.nodes) {
      const after = args.after?.[node.name] ?? [];
      const reset = args.resetOnDestroy
        ? [resetOnDestroy(`${name}-${node.name}-reset`, { node, script: "proxy-reset.sh", dependsOn: after }, parent)]
        : [];
      this.installs[node.name] = runOnNode(
        `${name}-${node.name}`,
        {
          node,
          script: "proxy-install.sh",
          helpers: ["lib.sh"],
          env: { KHA_PROXY_IMAGE: args.image, KHA_PULL: String(args.pull) },
          files: [
            { path: `${HOST_PATHS.proxyConfigDir}/nginx.conf`, content: conf },
            { path: HOST_PATHS.proxyUnitFile, content: renderProxyUnit(args.image) },
          ],
          dependsOn: [...after, ...reset],
        },
        parent,
      );
    }
    this.registerOutputs({});
  }
}
