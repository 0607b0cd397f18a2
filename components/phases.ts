// The phase list: the order in which a cluster is built. Each entry names its phase, says when it
// has work, makes its component (on which nodes, waiting on each for what is done there so far:
// ctx.perNode) and says what it leaves done on each node for later phases. `Cluster` runs this
// list and nothing else; `stopAfter` names one of these phases and cuts the list after it. A new
// phase is its component's file and one entry here.

import * as pulumi from "@pulumi/pulumi";
import { ApiserverProxy } from "./apiserverProxy";
import { Cni } from "./cni";
import { ControlPlane } from "./controlPlane";
import { EtcdCluster } from "./etcd";
import { HostPrep } from "./hostPrep";
import type { ClusterNode } from "../providers/node";
import { part, type AnyClusterPhase, type PhaseContext } from "./phase";
import { ClusterPki } from "./pki";
import { controlPlaneEndpoint } from "./render/kubeadm";
import { MetricsServer } from "./metricsServer";
import { ServiceLoadBalancer } from "./serviceLoadBalancer";
import { Vip } from "./vip";
import { Workers } from "./workers";

/** what kubeadm-upgrade.sh needs besides the version (constant between config changes, so no run after an upgrade re-runs a step for it) */
function upgradeEnv(ctx: PhaseContext): { drainTimeout: string; ignorePreflightErrors: string[] } {
  return { drainTimeout: ctx.spec.upgrade.drainTimeout, ignorePreflightErrors: ctx.spec.ignorePreflightErrors };
}

/** A Kubernetes provider's clusterIdentifier: the cluster is its CA (the hash kubeadm pins joins to). */
function clusterIdentifier(ctx: PhaseContext): pulumi.Output<string> {
  return pulumi.interpolate`${ctx.spec.clusterName}/${part(ctx, "pki").discoveryHash}`;
}

/**
 * What objects sent through the cluster's API wait for, when their pods run on `nodes`: the CNI's
 * cluster-wide steps, those nodes joined and running their pod network, and the first control plane
 * (the whole control plane during an upgrade), not every control plane's join.
 */
function apiObjectsAfter(ctx: PhaseContext, nodes: ClusterNode[]): pulumi.Resource[] {
  const controlPlane = part(ctx, "controlPlane");
  const cni = part(ctx, "cni");
  const joined = (name: string) =>
    name === controlPlane.first.name ? controlPlane.init : (controlPlane.joins[name] ?? part(ctx, "workers").joins[name]);
  return [
    ...cni.clusterSteps,
    ...nodes.flatMap((n) => [cni.byNode[n.name], joined(n.name)].filter((r) => r !== undefined)),
    ctx.upgrade.kind === "upgrade" ? controlPlane.ready : controlPlane.init,
  ];
}

export const PHASE_LIST: readonly AnyClusterPhase[] = [
  {
    // every node, in parallel (the installs: the first control plane's, then the others'); Kubernetes
    // packages only when the roll-out reaches the control plane
    name: "host-prep",
    part: "hostPrep",
    create: (ctx) =>
      new HostPrep(
        `${ctx.name}-prep`,
        {
          nodes: ctx.nodes.all,
          kubernetesVersion: ctx.spec.kubernetesVersion,
          artifacts: ctx.spec.artifacts,
          kubelet: ctx.spec.kubelet,
          kubernetes: ctx.reaches("control-plane"),
          versionRecorded: ctx.runningKubernetesVersion !== undefined,
          resetOnDestroy: ctx.spec.resetOnDestroy,
          first: ctx.nodes.controlPlanes[0]?.name,
        },
        { parent: ctx.parent },
      ),
    leaves: (hostPrep) => hostPrep.done,
  },
  {
    // every certificate and key, made by Pulumi before any host needs one
    name: "pki",
    part: "pki",
    create: ({ name, spec, nodes, parent }) =>
      new ClusterPki(
        `${name}-pki`,
        {
          clusterName: spec.clusterName,
          etcdMembers: nodes.etcdMembers.map((n) => ({ name: n.name, privateIp: n.privateIp })),
          controlPlanes: nodes.controlPlanes.map((n) => ({ name: n.name, privateIp: n.privateIp, publicIp: n.publicIp })),
          serviceCidr: spec.serviceCidr,
          endpoint: spec.apiEndpoint,
          validityHours: spec.pki.validityHours,
          earlyRenewalHours: spec.pki.earlyRenewalHours,
        },
        { parent },
      ),
  },
  {
    // a member on every etcd node once its base preparation is done (beside the Kubernetes binaries'
    // and images arriving, under the etcd lock), then the health gate
    name: "etcd",
    part: "etcd",
    create: (ctx) => {
      const base = part(ctx, "hostPrep").base;
      return new EtcdCluster(
        `${ctx.name}-etcd`,
        {
          members: ctx.nodes.etcdMembers,
          pki: part(ctx, "pki"),
          clusterToken: ctx.spec.clusterName,
          artifacts: ctx.spec.artifacts,
          snapshots: ctx.spec.etcdSnapshots,
          kubernetesVersion: ctx.spec.kubernetesVersion,
          after: Object.fromEntries(ctx.nodes.etcdMembers.map((n) => [n.name, [base[n.name]]])),
          resetOnDestroy: ctx.spec.resetOnDestroy,
        },
        { parent: ctx.parent },
      );
    },
  },
  {
    // `apiEndpoint: vip`: keepalived on the control planes, before kubeadm needs the address
    name: "vip",
    part: "vip",
    enabled: ({ spec }) => spec.apiEndpoint.mode === "vip",
    create: ({ name, spec, nodes, parent, perNode }) =>
      new Vip(
        `${name}-vip`,
        {
          ...perNode(nodes.controlPlanes),
          controlPlanes: nodes.controlPlanes,
          vip: spec.apiEndpoint.address!,
          interface: spec.apiEndpoint.vipInterface,
          apiPort: spec.apiEndpoint.port,
          clusterName: spec.clusterName,
          installPackages: spec.artifacts.source === "release",
        },
        { parent },
      ),
    leaves: (vip) => vip.installs,
  },
  {
    // `kubeadm init` on the first control plane once etcd is healthy, then joins one at a time
    name: "control-plane",
    part: "controlPlane",
    create: (ctx) => {
      const { spec } = ctx;
      const etcd = part(ctx, "etcd");
      return new ControlPlane(
        `${ctx.name}-cp`,
        {
          controlPlanes: ctx.nodes.controlPlanes,
          pki: part(ctx, "pki"),
          settings: {
            clusterName: spec.clusterName,
            kubernetesVersion: spec.kubernetesVersion,
            imageRepository: spec.artifacts.imageRepository,
            podCidr: spec.podCidr,
            serviceCidr: spec.serviceCidr,
            endpoint: spec.apiEndpoint,
            leaderElection: spec.leaderElection,
            ignorePreflightErrors: spec.ignorePreflightErrors,
            hardening: spec.hardening,
            certificateValidityHours: spec.pki.validityHours,
            allowCgroupV1: spec.allowCgroupV1,
          },
          etcdEndpoints: etcd.endpoints,
          upgrade: upgradeEnv(ctx),
          // a stack that never finished a deployment runs nothing yet (previousDeployment: null)
          parallelJoins: ctx.runningKubernetesVersion === null,
          ...ctx.perNode(ctx.nodes.controlPlanes, etcd.healthGate),
        },
        { parent: ctx.parent },
      );
    },
    leaves: (controlPlane) => ({ [controlPlane.first.name]: controlPlane.init, ...controlPlane.joins }),
  },
  {
    // `apiEndpoint: nginx-proxy`: nginx on every worker, before the worker joins through it
    name: "apiserver-proxy",
    part: "apiserverProxy",
    enabled: ({ spec, nodes }) => spec.apiEndpoint.mode === "nginx-proxy" && nodes.workers.length > 0,
    create: ({ name, spec, nodes, parent, perNode }) =>
      new ApiserverProxy(
        `${name}-proxy`,
        {
          nodes: nodes.workers,
          controlPlanes: nodes.controlPlanes,
          apiPort: spec.apiEndpoint.port,
          image: spec.apiserverProxyImage,
          pull: spec.artifacts.source === "release",
          ...perNode(nodes.workers),
        },
        { parent },
      ),
    leaves: (proxy) => proxy.installs,
  },
  {
    // every worker joins in parallel once the first control plane is up
    name: "workers",
    part: "workers",
    create: (ctx) => {
      const controlPlane = part(ctx, "controlPlane");
      return new Workers(
        `${ctx.name}-workers`,
        {
          workers: ctx.nodes.workers,
          tokenNode: controlPlane.first,
          discoveryEndpoint: controlPlaneEndpoint(ctx.spec.apiEndpoint),
          caCertHash: part(ctx, "pki").discoveryHash,
          ignorePreflightErrors: ctx.spec.ignorePreflightErrors,
          // cluster-info is not readable anonymously then: see renderJoinConfig
          kubeletServingCerts: ctx.spec.hardening.kubeletServingCerts,
          fileDiscovery: ctx.spec.hardening.anonymousAuthHealthOnly ? { caCertPem: part(ctx, "pki").kubernetesCa.certPem } : undefined,
          // while upgrading, after every control plane (a kubelet never newer than an apiserver)
          dependsOn: [ctx.upgrade.kind === "upgrade" ? controlPlane.ready : controlPlane.init],
          upgrade:
            ctx.upgrade.kind === "upgrade"
              ? { ...upgradeEnv(ctx), to: ctx.upgrade.to, workersInParallel: ctx.spec.upgrade.workersInParallel }
              : undefined,
          ...ctx.perNode(ctx.nodes.workers),
        },
        { parent: ctx.parent },
      );
    },
    leaves: (workers) => workers.joins,
  },
  {
    // the pod network on every Kubernetes node once it joined
    name: "cni",
    part: "cni",
    create: (ctx) => {
      const cp = part(ctx, "controlPlane");
      const joined = { [cp.first.name]: cp.init, ...cp.joins, ...part(ctx, "workers").joins };
      const nodes = [...ctx.nodes.controlPlanes, ...ctx.nodes.workers];
      const { cni, podCidr } = ctx.spec;
      return new Cni(
        `${ctx.name}-cni`,
        { cni, podCidr, nodes, firstControlPlane: cp.first, joined, controlPlaneReady: cp.init },
        { parent: ctx.parent },
      );
    },
  },
  {
    // HAProxy on the role=loadbalancer nodes, through the cluster's own API
    name: "service-load-balancer",
    part: "serviceLoadBalancer",
    enabled: ({ spec, nodes }) => spec.serviceLoadBalancer.enabled && nodes.loadBalancers.length > 0,
    create: (ctx) => {
      const lb = ctx.spec.serviceLoadBalancer;
      return new ServiceLoadBalancer(
        `${ctx.name}-slb`,
        {
          kubeconfig: part(ctx, "controlPlane").kubeconfig,
          clusterIdentifier: clusterIdentifier(ctx),
          nodes: ctx.nodes.loadBalancers,
          routes: lb.routes,
          httpNodePort: lb.httpNodePort,
          httpsNodePort: lb.httpsNodePort,
          image: lb.image,
          // its pods run only on the load balancer nodes: their objects go in while the other
          // control planes join
          dependsOn: apiObjectsAfter(ctx, ctx.nodes.loadBalancers),
        },
        { parent: ctx.parent },
      );
    },
  },
  {
    // the resource metrics API (kubectl top), on a worker once one runs with its pod network
    name: "metrics-server",
    part: "metricsServer",
    enabled: ({ spec }) => spec.addons.metricsServer.enabled,
    create: (ctx) =>
      new MetricsServer(
        `${ctx.name}-metrics`,
        {
          kubeconfig: part(ctx, "controlPlane").kubeconfig,
          clusterIdentifier: clusterIdentifier(ctx),
          image: ctx.spec.addons.metricsServer.image,
          verifyKubelets: ctx.spec.hardening.kubeletServingCerts,
          validityHours: ctx.spec.pki.validityHours,
          earlyRenewalHours: ctx.spec.pki.earlyRenewalHours,
          // once one node can run it: the first worker joined with its pod network (a cluster of
          // control planes only: the first of those). Not every worker: its pod is scheduled as soon
          // as any node is Ready, and waiting for the last join only put its 15 s start (two scrapes
          // before it reports ready) at the end of every `up` from bare hosts.
          dependsOn: apiObjectsAfter(ctx, (ctx.nodes.workers.length > 0 ? ctx.nodes.workers : ctx.nodes.controlPlanes).slice(0, 1)),
        },
        { parent: ctx.parent },
      ),
  },
];

/** Phase names in order: the values of `stopAfter`. */
export const PHASES: readonly string[] = PHASE_LIST.map((p) => p.name);
