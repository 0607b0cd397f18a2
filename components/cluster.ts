// Cluster: runs the phase list (phases.ts) on the nodes any provider handed over, up to
// `stopAfter`, and exposes what the phases made. The order of the work lives in the list; how each
// phase orders itself on each node lives in phase.ts (docs/ARCHITECTURE.md, "Phases").

import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "../config/types";
import { hardeningWarnings } from "../config/validators/hardening";
import { kubernetesVersionWarnings, pkiWarnings } from "../config/validators/cluster";
import { describeUpgrade, upgradeStep } from "../config/upgrade";
import { ClusterNode, nodesWithRole } from "../providers/node";
import type { ApiserverProxy } from "./apiserverProxy";
import type { Cni } from "./cni";
import type { ControlPlane } from "./controlPlane";
import type { EtcdCluster } from "./etcd";
import { HostPrep, isKubernetesNode } from "./hostPrep";
import { ClusterNodes, ClusterParts, NodeProgress, part, PhaseContext, runPhase } from "./phase";
import { PHASE_LIST, PHASES } from "./phases";
import type { ClusterPki } from "./pki";
import type { MetricsServer } from "./metricsServer";
import type { ServiceLoadBalancer } from "./serviceLoadBalancer";
import type { Vip } from "./vip";
import type { Workers } from "./workers";

export interface ClusterArgs {
  /** the machines, from any provider (or built by hand: the node contract, providers/node.ts) */
  nodes: ClusterNode[];
  /** what to build on them: clusterSpec({...}) from the stack config's keys, or clusterSpecOf(config) */
  spec: ClusterSpec;
  /**
   * The Kubernetes version the cluster runs now: the previous deployment's `kubernetesVersion`
   * output (the program reads it from its own stack). A different spec.kubernetesVersion is then a
   * rolling upgrade; null for a new cluster (nothing runs yet). Undefined (not known) refuses a
   * version change on running nodes, on the hosts.
   */
  runningKubernetesVersion?: string | null;
}

export interface NodeSummary {
  name: string;
  roles: string[];
  privateIp: string;
}

function clusterNodes(nodes: ClusterNode[]): ClusterNodes {
  const workers = nodes.filter((n) => isKubernetesNode(n) && !n.roles.includes("control-plane"));
  const controlPlanes = nodesWithRole(nodes, "control-plane");
  return {
    all: nodes,
    controlPlanes,
    etcdMembers: nodesWithRole(nodes, "etcd"),
    workers,
    loadBalancers: [...controlPlanes, ...workers].filter((n) => n.roles.includes("loadbalancer")),
  };
}

export class Cluster extends pulumi.ComponentResource {
  readonly hostPrep: HostPrep;
  readonly pki: ClusterPki;
  readonly etcd?: EtcdCluster;
  readonly vip?: Vip;
  readonly controlPlane?: ControlPlane;
  readonly apiserverProxy?: ApiserverProxy;
  readonly workers?: Workers;
  readonly cni?: Cni;
  readonly serviceLoadBalancer?: ServiceLoadBalancer;
  /** the resource metrics API (addons.metricsServer) */
  readonly metricsServer?: MetricsServer;
  /** admin kubeconfig (secret); undefined when stopped before the control plane */
  readonly kubeconfig?: pulumi.Output<string>;
  readonly apiServer?: pulumi.Output<string>;
  /** https://<ip>:2379 of every etcd member; empty when stopped before etcd */
  readonly etcdEndpoints: pulumi.Output<string[]>;
  /** name=https://<ip>:2380,... of every etcd member (etcd-restore.sh's KHA_ETCD_INITIAL_CLUSTER) */
  readonly etcdInitialCluster: pulumi.Output<string>;
  readonly nodeSummary: pulumi.Output<NodeSummary[]>;
  /** the version every node runs once this deployment is done: the next one's runningKubernetesVersion */
  readonly kubernetesVersion: pulumi.Output<string>;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kubeadm-ha:index:Cluster", name, {}, opts);
    const { spec, nodes } = args;
    const stop = PHASES.indexOf(spec.stopAfter);
    if (stop < 0) throw new Error(`stopAfter: unknown phase ${spec.stopAfter}; phases: ${PHASES.join(", ")}`);
    // a security default turned off is said on every run, for stacks and embedding programs alike
    for (const warning of [
      ...hardeningWarnings(spec.hardening),
      ...pkiWarnings(spec.pki),
      ...kubernetesVersionWarnings(spec.kubernetesVersion),
    ])
      void pulumi.log.warn(warning, this);
    // throws for a downgrade or a skipped minor, naming the path, before any resource exists
    const upgrade = upgradeStep(args.runningKubernetesVersion ?? undefined, spec.kubernetesVersion);
    if (upgrade.kind === "upgrade") {
      const all = clusterNodes(nodes);
      const plan = describeUpgrade(
        upgrade,
        all.controlPlanes.map((n) => n.name),
        all.workers.map((n) => n.name),
        spec.upgrade.workersInParallel,
      );
      void pulumi.log.info(plan.join("\n"), this);
    }
    // the PKI touches no host and every output needs it: made even when stopping at host-prep
    const last = Math.max(stop, PHASES.indexOf("pki"));
    const parts: ClusterParts = {};
    const progress = new NodeProgress();
    const ctx: PhaseContext = {
      name,
      spec,
      upgrade,
      runningKubernetesVersion: args.runningKubernetesVersion,
      nodes: clusterNodes(nodes),
      progress,
      parts,
      parent: this,
      reaches: (phase) => PHASES.indexOf(phase) <= last,
      perNode: (list, ...gates) => ({
        after: Object.fromEntries(list.map((n) => [n.name, [...progress.before(n.name), ...gates]])),
        resetOnDestroy: spec.resetOnDestroy,
      }),
    };
    for (const phase of PHASE_LIST.slice(0, last + 1)) runPhase(phase, ctx);

    this.hostPrep = part(ctx, "hostPrep");
    this.pki = part(ctx, "pki");
    ({
      etcd: this.etcd,
      vip: this.vip,
      controlPlane: this.controlPlane,
      apiserverProxy: this.apiserverProxy,
      workers: this.workers,
      cni: this.cni,
      serviceLoadBalancer: this.serviceLoadBalancer,
      metricsServer: this.metricsServer,
    } = parts);
    this.kubeconfig = this.controlPlane?.kubeconfig;
    this.apiServer = this.controlPlane?.server;
    this.etcdEndpoints = this.etcd?.endpoints ?? pulumi.output([]);
    this.etcdInitialCluster = this.etcd?.initialCluster ?? pulumi.output("");
    this.nodeSummary = pulumi
      .all(nodes.map((n) => pulumi.output(n.privateIp)))
      .apply((ips) => nodes.map((n, i) => ({ name: n.name, roles: [...n.roles], privateIp: ips[i] })));
    // resolves only when the control plane and every worker's upgrade are done: a failed run leaves
    // the last deployment's value, so the next run plans the rest of the upgrade again
    const finished = [
      this.controlPlane?.ready,
      ...Object.values(this.controlPlane?.joins ?? {}),
      ...Object.values(this.workers?.upgrades ?? {}),
      ...Object.values(this.workers?.joins ?? {}),
    ];
    this.kubernetesVersion = pulumi
      .all(finished.filter((r): r is NonNullable<typeof r> => r !== undefined).map((r) => r.id))
      .apply(() => spec.kubernetesVersion);
    this.registerOutputs({
      kubernetesVersion: this.kubernetesVersion,
      kubeconfig: this.kubeconfig,
      apiServer: this.apiServer,
      etcdEndpoints: this.etcdEndpoints,
      etcdInitialCluster: this.etcdInitialCluster,
      nodes: this.nodeSummary,
    });
  }
}
