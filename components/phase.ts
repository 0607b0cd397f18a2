// What every phase of a cluster shares: the per-node progress that orders the work, the per-node
// step helper, and the small interface each phase implements for the phase list (phases.ts).
//
// Ordering is per node, not per phase: a phase waits, on each node, for what earlier phases left
// done on that node (its host preparation, its proxy, ...), plus the few cluster-wide gates it
// names itself (the etcd health gate, the first control plane). So independent nodes never wait
// for each other, and adding a node adds only that node's steps.

import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "../config/types";
import type { ClusterNode } from "../providers/node";
import type { ApiserverProxy } from "./apiserverProxy";
import type { Cni } from "./cni";
import type { ControlPlane } from "./controlPlane";
import type { EtcdCluster } from "./etcd";
import type { HostPrep } from "./hostPrep";
import type { ClusterPki } from "./pki";
import { resetOnDestroy } from "./remote";
import type { ServiceLoadBalancer } from "./serviceLoadBalancer";
import type { Vip } from "./vip";
import type { Workers } from "./workers";

/** Per node name: the steps done on it so far. Later phases wait for them on that node. */
export class NodeProgress {
  private readonly done = new Map<string, pulumi.Resource[]>();

  /** what a phase waits for on this node */
  before(node: string): pulumi.Resource[] {
    return [...(this.done.get(node) ?? [])];
  }

  /** a phase left these done on the node */
  record(node: string, ...steps: pulumi.Resource[]): void {
    this.done.set(node, [...(this.done.get(node) ?? []), ...steps]);
  }

  /** the same for several nodes at once (a phase's per-node map) */
  recordAll(steps: Record<string, pulumi.Resource>): void {
    for (const [node, step] of Object.entries(steps)) this.record(node, step);
  }
}

export interface NodeStepArgs {
  node: ClusterNode;
  /** what must be done first on this node (and cluster-wide gates) */
  after?: pulumi.Input<pulumi.Resource>[];
  /** bare metal: the script that undoes this step on `pulumi destroy` (local-ssh-run.sh) */
  resetScript?: string;
  resetOnDestroy?: boolean;
}

/**
 * The one shape of a phase's work on a node: wait for `after`, register the reset that undoes the
 * step on destroy (bare metal; it depends on `after`, so it is deleted before what it needs), then
 * run the step, which waits for both. `name` is the node's base name in the phase
 * (`<phase>-<node>`); the reset is `<name>-reset`, as existing stacks know it.
 */
export function nodeStep<T>(
  name: string,
  args: NodeStepArgs,
  parent: pulumi.Resource,
  run: (dependsOn: pulumi.Input<pulumi.Resource>[]) => T,
): T {
  const after = args.after ?? [];
  const reset =
    args.resetOnDestroy && args.resetScript
      ? [resetOnDestroy(`${name}-reset`, { node: args.node, script: args.resetScript, dependsOn: after }, { parent })]
      : [];
  return run([...after, ...reset]);
}

/** The nodes of a cluster by role. */
export interface ClusterNodes {
  all: ClusterNode[];
  controlPlanes: ClusterNode[];
  etcdMembers: ClusterNode[];
  /** Kubernetes nodes that are not control planes */
  workers: ClusterNode[];
  /** Kubernetes nodes carrying role=loadbalancer */
  loadBalancers: ClusterNode[];
}

/** The components the phases made so far (a later phase reads an earlier one's outputs). */
export interface ClusterParts {
  hostPrep?: HostPrep;
  pki?: ClusterPki;
  etcd?: EtcdCluster;
  vip?: Vip;
  controlPlane?: ControlPlane;
  apiserverProxy?: ApiserverProxy;
  workers?: Workers;
  cni?: Cni;
  serviceLoadBalancer?: ServiceLoadBalancer;
}

export interface PhaseContext {
  /** the cluster's resource name; phases name their components `<name>-<suffix>` */
  name: string;
  spec: ClusterSpec;
  nodes: ClusterNodes;
  progress: NodeProgress;
  parts: ClusterParts;
  /** the Cluster component: parent of every phase */
  parent: pulumi.Resource;
  /** whether the roll-out reaches this phase (`stopAfter`) */
  reaches(phase: string): boolean;
}

/** One entry of the phase list. */
export interface ClusterPhase {
  /** the name `stopAfter` uses */
  readonly name: string;
  /** whether the phase has work in this cluster (vip only in vip mode, ...) */
  enabled(ctx: PhaseContext): boolean;
  /** makes the phase's component under ctx.parent, records what it leaves done on each node */
  create(ctx: PhaseContext): void;
}

/** An earlier phase's component, or a clear error when the phase list is out of order. */
export function part<K extends keyof ClusterParts>(ctx: PhaseContext, key: K): NonNullable<ClusterParts[K]> {
  const found = ctx.parts[key];
  if (!found) throw new Error(`phase order: ${String(key)} is needed before this phase`);
  return found as NonNullable<ClusterParts[K]>;
}
