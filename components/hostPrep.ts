// HostPrep: the first phase on every node. host-prep.sh (swap, modules, sysctls, directories) on
// all nodes; then, on Kubernetes nodes, air-gapped artifact copies and node-install.sh
// (containerd, CNI plugins, kubeadm/kubelet/kubectl, image imports, kubelet unit).

import * as pulumi from "@pulumi/pulumi";
import type * as command from "@pulumi/command";
import type { ArtifactsConfig, KubeletConfig } from "../config/types";
import type { ClusterNode } from "../providers/node";
import { artifactsDigest, copyArtifacts, imagesForRoles, localBinaries, localImages } from "./artifacts";
import {
  pauseImage,
  renderContainerdConfig,
  renderCrictlConfig,
  renderKubeletKubeadmDropin,
  renderKubeletSettings,
  renderKubeletUnit,
  renderModules,
  renderSysctls,
} from "./render/host";
import { runOnNode } from "./remote";
import { HOST_PATHS } from "./hostLayout";
import { nodeStep, type PerNodeArgs } from "./phase";

export interface HostPrepArgs extends PerNodeArgs {
  nodes: ClusterNode[];
  kubernetesVersion: string;
  artifacts: ArtifactsConfig;
  /** eviction and image GC thresholds (stack config `kubelet`) */
  kubelet: KubeletConfig;
  /** false: only the base preparation (an etcd-only roll-out, `stopAfter: etcd`) */
  kubernetes?: boolean;
  /**
   * The program knows the version the cluster runs (the previous deployment recorded it), so a new
   * kubernetesVersion is a planned rolling upgrade: node-install.sh stages it on running nodes.
   * Without it, a version change under a running kubelet is refused there.
   */
  versionRecorded?: boolean;
  /**
   * The node whose install runs before every other node's: the first control plane, which `kubeadm
   * init` waits for. The others' installs (their image imports, the most CPU of host preparation)
   * start once it is done: they are needed only after the init, and running beside it delayed it
   * wherever the hosts share CPU with each other or with the engine's copies (the lab's 3 + 2:
   * every install took 25-30 s side by side).
   */
  first?: string;
}

export function isKubernetesNode(node: ClusterNode): boolean {
  return node.roles.includes("control-plane") || node.roles.includes("worker");
}

export function kubernetesReleaseUrl(artifacts: ArtifactsConfig, version: string): string {
  return `${artifacts.kubernetesBaseUrl}/v${version}/bin/linux/amd64`;
}

export class HostPrep extends pulumi.ComponentResource {
  /** per node name: the last preparation step; later phases depend on it */
  readonly done: Record<string, command.remote.Command> = {};
  /** per node name: the base step (swap, sysctls, directories), before binaries and images */
  readonly base: Record<string, command.remote.Command> = {};

  constructor(name: string, args: HostPrepArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kubeadm-ha:hostPrep:HostPrep", name, {}, opts);
    const parent = { parent: this };
    const kubernetes = args.kubernetes !== false;
    const binaries = kubernetes ? localBinaries(args.artifacts, ["kubeadm", "kubelet", "kubectl"]) : [];
    const images = kubernetes ? localImages(args.artifacts) : [];
    const release = args.artifacts.source === "release";

    // the first node's steps are made first: the other installs wait for its install
    const nodes = [...args.nodes].sort((a, b) => Number(b.name === args.first) - Number(a.name === args.first));
    let firstInstall: command.remote.Command | undefined;
    for (const node of nodes) {
      // the reset is created first, so destroyed last: every other phase's reset still finds its scripts
      this.done[node.name] = nodeStep(`${name}-${node.name}`, node, "host-reset.sh", args, this, (dependsOn) => {
        const base = runOnNode(
          `${name}-${node.name}-base`,
          {
            node,
            script: "host-prep.sh",
            helpers: ["lib.sh"],
            files: [
              { path: HOST_PATHS.sysctlConf, content: renderSysctls() },
              { path: HOST_PATHS.modulesConf, content: renderModules() },
            ],
            dependsOn,
          },
          parent,
        );
        this.base[node.name] = base;
        if (!isKubernetesNode(node) || args.kubernetes === false) return base;
        const nodeImages = imagesForRoles(images, node.roles);
        const copies = copyArtifacts(`${name}-${node.name}`, node, [...binaries, ...nodeImages], { parent: this, dependsOn: [base] });
        const install = runOnNode(
          `${name}-${node.name}-install`,
          {
            node,
            script: "node-install.sh",
            helpers: ["lib.sh"],
            env: {
              KHA_KUBERNETES_VERSION: args.kubernetesVersion,
              KHA_K8S_URL: release ? kubernetesReleaseUrl(args.artifacts, args.kubernetesVersion) : "",
              KHA_INSTALL_PACKAGES: String(release),
              // a changed local binary or image tar re-runs the install
              KHA_ARTIFACTS_DIGEST: artifactsDigest([...binaries, ...nodeImages]),
              // (constant once recorded: no run after an upgrade re-runs this step for it)
              ...(args.versionRecorded ? { KHA_VERSION_RECORDED: "true" } : {}),
            },
            files: [
              {
                path: HOST_PATHS.containerdConfig,
                content: renderContainerdConfig(pauseImage(args.artifacts.imageRepository, args.kubernetesVersion)),
              },
              { path: HOST_PATHS.crictlConf, content: renderCrictlConfig() },
              { path: HOST_PATHS.kubeletUnitFile, content: renderKubeletUnit() },
              { path: `${HOST_PATHS.kubeletDropinDir}/10-kubeadm.conf`, content: renderKubeletKubeadmDropin() },
              { path: HOST_PATHS.kubeletSettings, content: renderKubeletSettings(args.kubelet) },
            ],
            dependsOn: [base, ...copies, ...(firstInstall ? [firstInstall] : [])],
          },
          parent,
        );
        if (node.name === args.first) firstInstall = install;
        return install;
      });
    }
    this.registerOutputs({});
  }
}
