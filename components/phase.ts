// What every phase of a cluster shares: the per-node progress that orders the work, the per-node
// step helper, and the small interface each phase implements for the phase list (phases.ts).
//
// Ordering is per node, not per phase: a phase waits, on each node, for what earlier phases left
// done on that node (its host preparation, its proxy, ...), plus the few cluster-wide gates it
// names itself (the etcd health gate, the first control plane). So independent nodes never wait
// for each other, and adding a node adds only that node's steps.

import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "../config/types";
import type { UpgradeStep } from "../config/upgrade";
import type { ClusterNode } from "../providers/node";
import type { ApiserverProxy } from "./apiserverProxy";
import type { Cni } from "./cni";
import type { ControlPlane } from "./controlPlane";
import type { EtcdCluster } from "./etcd";
import type { HostPrep } from "./hostPrep";
import type { ClusterPki } from "./pki";
import { HostFile, resetOnDestroy, runOnNode } from "./remote";
import type { ServiceLoadBalancer } from "./serviceLoadBalancer";
import type { MetricsServer } from "./metricsServer";
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

/** What a phase's component takes for its per-node steps (ctx.perNode makes it). */
export interface PerNodeArgs {
  /** per node name: what must be done first on that node (and cluster-wide gates) */
  after?: Record<string, pulumi.Input<pulumi.Resource>[]>;
  /** bare metal: undo each step on the host on `pulumi destroy` */
  resetOnDestroy?: boolean;
}

/**
 * The one shape of a phase's work on a node: wait for what `args.after` names for the node, register
 * the reset that undoes the step on destroy (bare metal; it depends on the same things, so it is
 * deleted before what it needs), then run the step, which waits for both. `name` is the node's
 * base name in the phase (`<phase>-<node>`); the reset is `<name>-reset`, as existing stacks know it.
 */
export function nodeStep<T>(
  name: string,
  node: ClusterNode,
  resetScript: string,
  args: PerNodeArgs,
  parent: pulumi.Resource,
  run: (dependsOn: pulumi.Input<pulumi.Resource>[]) => T,
): T {
  const after = args.after?.[node.name] ?? [];
  const reset = args.resetOnDestroy ? [resetOnDestroy(`${name}-reset`, { node, script: resetScript, dependsOn: after }, { parent })] : [];
  return run([...after, ...reset]);
}

/** A phase whose work on each node is one host script (and its reset): the vip and the proxies. */
export interface ScriptOnEachNode {
  script: string;
  resetScript: string;
  env?: Record<string, pulumi.Input<string>>;
  /** the files the script needs on this node (its config) */
  files(node: ClusterNode, index: number): HostFile[];
}

/** Runs `step` on every node as a nodeStep under `component`; per node name, the step. */
export function scriptOnEachNode(
  component: pulumi.Resource,
  name: string,
  nodes: ClusterNode[],
  args: PerNodeArgs,
  step: ScriptOnEachNode,
): Record<string, command.remote.Command> {
  const run = (node: ClusterNode, index: number) =>
    nodeStep(`${name}-${node.name}`, node, step.resetScript, args, component, (dependsOn) =>
      runOnNode(
        `${name}-${node.name}`,
        { node, script: step.script, helpers: ["lib.sh"], env: step.env, files: step.files(node, index), dependsOn },
        { parent: component },
      ),
    );
  return Object.fromEntries(nodes.map((node, index) => [node.name, run(node, index)]));
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
  metricsServer?: MetricsServer;
}

export interface PhaseContext {
  /** the cluster's resource name; phases name their components `<name>-<suffix>` */
  name: string;
  spec: ClusterSpec;
  /** a new kubernetesVersion on a running cluster (config/upgrade.ts), or none */
  upgrade: UpgradeStep;
  /** the version the cluster runs, as the previous deployment recorded it; null: nothing runs yet; undefined: unknown */
  runningKubernetesVersion?: string | null;
  nodes: ClusterNodes;
  progress: NodeProgress;
  parts: ClusterParts;
  /** the Cluster component: parent of every phase */
  parent: pulumi.Resource;
  /** whether the roll-out reaches this phase (`stopAfter`) */
  reaches(phase: string): boolean;
  /** per-node args for a phase's component: on each node, what is done there so far, plus `gates` */
  perNode(nodes: ClusterNode[], ...gates: pulumi.Resource[]): PerNodeArgs;
}

/** One entry of the phase list; K names the component it makes in ctx.parts. */
export interface ClusterPhase<K extends keyof ClusterParts = keyof ClusterParts> {
  /** the name `stopAfter` uses */
  readonly name: string;
  /** where its component goes in ctx.parts, for later phases and the Cluster's fields */
  readonly part?: K;
  /** whether the phase has work in this cluster (vip only in vip mode, ...); always when absent */
  enabled?(ctx: PhaseContext): boolean;
  /** makes the phase's component under ctx.parent (a phase without a part makes nothing to keep) */
  create(ctx: PhaseContext): NonNullable<ClusterParts[K]> | void;
  /** per node name: what it leaves done there; later phases on that node wait for it */
  leaves?(component: NonNullable<ClusterParts[K]>): Record<string, pulumi.Resource>;
}

/** Any entry of the phase list (each with its own part). */
export type AnyClusterPhase = { [K in keyof ClusterParts]-?: ClusterPhase<K> }[keyof ClusterParts];

/** Runs one phase: makes its component, keeps it in ctx.parts, records what it leaves done. */
export function runPhase<K extends keyof ClusterParts>(phase: ClusterPhase<K>, ctx: PhaseContext): void {
  if (!(phase.enabled?.(ctx) ?? true)) return;
  const component = phase.create(ctx);
  if (!component || !phase.part) return;
  ctx.parts[phase.part] = component;
  if (phase.leaves) ctx.progress.recordAll(phase.leaves(component));
}

/** An earlier phase's component, or a clear error when the phase list is out of order. */
export function part<K extends keyof ClusterParts>(ctx: PhaseContext, key: K): NonNullable<ClusterParts[K]> {
  const found = ctx.parts[key];
  if (!found) throw new Error(`phase order: ${String(key)} is needed before this phase`);
  return found as NonNullable<ClusterParts[K]>;
}
