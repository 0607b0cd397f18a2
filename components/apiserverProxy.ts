// ApiserverProxy: on every Kubernetes node that is not a control plane, nginx on localhost:6443
// forwarding to every apiserver (see render/nginx.ts). Installed before the node joins, since the
// node joins through it. A change of control-plane membership rewrites every proxy's config.

import * as pulumi from "@pulumi/pulumi";
import type * as command from "@pulumi/command";
import type { ClusterNode } from "../providers/node";
import { runOnNode } from "./remote";
import { renderNginxProxyConf, renderProxyUnit } from "./render/nginx";
import { HOST_PATHS } from "./hostLayout";
import { nodeStep, type ClusterPhase } from "./phase";

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
      const step = { node, after: args.after?.[node.name], resetScript: "proxy-reset.sh", resetOnDestroy: args.resetOnDestroy };
      this.installs[node.name] = nodeStep(`${name}-${node.name}`, step, this, (dependsOn) =>
        runOnNode(
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
            dependsOn,
          },
          parent,
        ),
      );
    }
    this.registerOutputs({});
  }
}

/** Phase "apiserver-proxy" (`apiEndpoint: nginx-proxy`): nginx on every worker, before it joins through it. */
export const apiserverProxyPhase: ClusterPhase = {
  name: "apiserver-proxy",
  enabled: (ctx) => ctx.spec.apiEndpoint.mode === "nginx-proxy" && ctx.nodes.workers.length > 0,
  create(ctx) {
    const { spec } = ctx;
    const workers = ctx.nodes.workers;
    const proxy = new ApiserverProxy(
      `${ctx.name}-proxy`,
      {
        nodes: workers,
        controlPlanes: ctx.nodes.controlPlanes,
        apiPort: spec.apiEndpoint.port,
        image: spec.apiserverProxyImage,
        pull: spec.artifacts.source === "release",
        after: Object.fromEntries(workers.map((n) => [n.name, ctx.progress.before(n.name)])),
        resetOnDestroy: ctx.spec.resetOnDestroy,
      },
      { parent: ctx.parent },
    );
    ctx.parts.apiserverProxy = proxy;
    ctx.progress.recordAll(proxy.installs);
  },
};
