// Cluster: composes the phases on the nodes any provider handed over (docs/ARCHITECTURE.md, "Phases"):
// hostPrep -> pki -> etcd (+ health gate) -> first control plane -> other control planes ->
// apiserver proxies -> workers (in parallel) -> CNI -> service load balancer -> outputs.

import * as pulumi from "@pulumi/pulumi";
import { PHASES, Phase } from "../config/types";
import type { ClusterConfig } from "../config/types";
import { ClusterNode, nodesWithRole } from "../providers/node";
import { ApiserverProxy } from "./apiserverProxy";
import { Cni } from "./cni";
import { ControlPlane } from "./controlPlane";
import { EtcdCluster } from "./etcd";
import { HostPrep, isKubernetesNode } from "./hostPrep";
import { ClusterPki } from "./pki";
import { controlPlaneEndpoint } from "./render/kubeadm";
import { ServiceLoadBalancer } from "./serviceLoadBalancer";
import { Vip } from "./vip";
import { Workers } from "./workers";

export interface ClusterArgs {
  config: ClusterConfig;
  nodes: ClusterNode[];
}

export interface NodeSummary {
  name: string;
  roles: string[];
  privateIp: string;
}

function reaches(stopAfter: Phase, phase: Phase): boolean {
  return PHASES.indexOf(phase) <= PHASES.indexOf(stopAfter);
}

export class Cluster extends pulumi.ComponentResource {
  readonly pki: ClusterPki;
  readonly hostPrep: HostPrep;
  readonly etcd: EtcdCluster;
  readonly controlPlane?: ControlPlane;
  readonly vip?: Vip;
  apiserverProxy?: ApiserverProxy;
  workers?: Workers;
  cni?: Cni;
  serviceLoadBalancer?: ServiceLoadBalancer;
  /** admin kubeconfig (secret); undefined when stopped before the control plane */
  readonly kubeconfig?: pulumi.Output<string>;
  readonly apiServer?: pulumi.Output<string>;
  readonly etcdEndpoints: pulumi.Output<string[]>;
  readonly nodeSummary: pulumi.Output<NodeSummary[]>;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kubeadm-ha:index:Cluster", name, {}, opts);
    const { config, nodes } = args;
    const parent = { parent: this };
    const bareMetal = config.provider === "baremetal";
    const controlPlanes = nodesWithRole(nodes, "control-plane");
    const etcdMembers = nodesWithRole(nodes, "etcd");
    const workerNodes = nodes.filter((n) => isKubernetesNode(n) && !n.roles.includes("control-plane"));
    const kubernetes = reaches(config.stopAfter, "control-plane");

    this.hostPrep = new HostPrep(
      `${name}-prep`,
      { nodes, kubernetesVersion: config.kubernetesVersion, artifacts: config.artifacts, kubernetes, resetOnDestroy: bareMetal },
      parent,
    );
    this.pki = new ClusterPki(
      `${name}-pki`,
      {
        clusterName: config.clusterName,
        etcdMembers: etcdMembers.map((n) => ({ name: n.name, privateIp: n.privateIp })),
        controlPlanes: controlPlanes.map((n) => ({ name: n.name, privateIp: n.privateIp, publicIp: n.publicIp })),
        serviceCidr: config.serviceCidr,
        endpoint: config.apiEndpoint,
        validityHours: config.pki.validityHours,
        earlyRenewalHours: config.pki.earlyRenewalHours,
      },
      parent,
    );
    const prepared = (n: ClusterNode) => [this.hostPrep.done[n.name]];
    this.etcd = new EtcdCluster(
      `${name}-etcd`,
      {
        members: etcdMembers,
        pki: this.pki,
        clusterToken: config.clusterName,
        artifacts: config.artifacts,
        after: Object.fromEntries(etcdMembers.map((n) => [n.name, prepared(n)])),
        resetOnDestroy: bareMetal,
      },
      parent,
    );
    this.etcdEndpoints = this.etcd.endpoints;
    this.nodeSummary = pulumi
      .all(nodes.map((n) => pulumi.output(n.privateIp)))
      .apply((ips) => nodes.map((n, i) => ({ name: n.name, roles: [...n.roles], privateIp: ips[i] })));

    if (kubernetes) {
      const vipEndpoint = config.apiEndpoint.mode === "vip" ? config.apiEndpoint : undefined;
      this.vip = vipEndpoint
        ? new Vip(
            `${name}-vip`,
            {
              controlPlanes,
              vip: vipEndpoint.address!,
              interface: vipEndpoint.vipInterface,
              apiPort: vipEndpoint.port,
              clusterName: config.clusterName,
              installPackages: config.artifacts.source === "release",
              after: Object.fromEntries(controlPlanes.map((n) => [n.name, prepared(n)])),
              resetOnDestroy: bareMetal,
            },
            parent,
          )
        : undefined;
      const vipReady = (n: ClusterNode) => (this.vip ? [this.vip.installs[n.name]] : []);
      const controlPlane = new ControlPlane(
        `${name}-cp`,
        {
          controlPlanes,
          pki: this.pki,
          settings: {
            clusterName: config.clusterName,
            kubernetesVersion: config.kubernetesVersion,
            imageRepository: config.artifacts.imageRepository,
            podCidr: config.podCidr,
            serviceCidr: config.serviceCidr,
            endpoint: config.apiEndpoint,
            leaderElection: config.leaderElection,
            ignorePreflightErrors: config.ignorePreflightErrors,
          },
          etcdEndpoints: this.etcd.endpoints,
          after: Object.fromEntries(controlPlanes.map((n) => [n.name, [...prepared(n), ...vipReady(n), this.etcd.healthGate]])),
          resetOnDestroy: bareMetal,
        },
        parent,
      );
      this.controlPlane = controlPlane;
      this.kubeconfig = controlPlane.kubeconfig;
      this.apiServer = controlPlane.server;
      this.deployNodes(name, config, controlPlane, controlPlanes, workerNodes, bareMetal);
    }
    this.registerOutputs({
      kubeconfig: this.kubeconfig,
      apiServer: this.apiServer,
      etcdEndpoints: this.etcdEndpoints,
      nodes: this.nodeSummary,
    });
  }

  private deployNodes(
    name: string,
    config: ClusterConfig,
    controlPlane: ControlPlane,
    controlPlanes: ClusterNode[],
    workerNodes: ClusterNode[],
    bareMetal: boolean,
  ): void {
    const parent = { parent: this };
    const proxied = config.apiEndpoint.mode === "nginx-proxy";
    if (!reaches(config.stopAfter, "workers")) return;
    if (proxied && workerNodes.length > 0) {
      this.apiserverProxy = new ApiserverProxy(
        `${name}-proxy`,
        {
          nodes: workerNodes,
          controlPlanes,
          apiPort: config.apiEndpoint.port,
          image: config.apiserverProxyImage,
          pull: config.artifacts.source === "release",
          after: Object.fromEntries(workerNodes.map((n) => [n.name, [this.hostPrep.done[n.name]]])),
          resetOnDestroy: bareMetal,
        },
        parent,
      );
    }
    const workers = new Workers(
      `${name}-workers`,
      {
        workers: workerNodes,
        tokenNode: controlPlane.first,
        discoveryEndpoint: controlPlaneEndpoint(config.apiEndpoint),
        caCertHash: this.pki.discoveryHash,
        ignorePreflightErrors: config.ignorePreflightErrors,
        dependsOn: [controlPlane.init],
        after: Object.fromEntries(
          workerNodes.map((n) => [
            n.name,
            [this.hostPrep.done[n.name], ...(this.apiserverProxy ? [this.apiserverProxy.installs[n.name]] : [])],
          ]),
        ),
        resetOnDestroy: bareMetal,
      },
      parent,
    );
    this.workers = workers;
    if (!reaches(config.stopAfter, "cni")) return;
    const joined: Record<string, pulumi.Resource> = {
      [controlPlane.first.name]: controlPlane.init,
      ...controlPlane.joins,
      ...workers.joins,
    };
    const cni = new Cni(
      `${name}-cni`,
      {
        cni: config.cni,
        podCidr: config.podCidr,
        nodes: [...controlPlanes, ...workerNodes],
        firstControlPlane: controlPlane.first,
        joined,
        controlPlaneReady: controlPlane.init,
      },
      parent,
    );
    this.cni = cni;
    const lb = config.serviceLoadBalancer;
    const lbNodes = [...controlPlanes, ...workerNodes].filter((n) => n.roles.includes("loadbalancer"));
    if (!reaches(config.stopAfter, "service-load-balancer") || !lb.enabled || lbNodes.length === 0) return;
    this.serviceLoadBalancer = new ServiceLoadBalancer(
      `${name}-slb`,
      {
        kubeconfig: controlPlane.kubeconfig,
        nodes: lbNodes,
        routes: lb.routes,
        httpNodePort: lb.httpNodePort,
        httpsNodePort: lb.httpsNodePort,
        image: lb.image,
        dns:
          lb.dnsZone && lb.dnsName && config.provider !== "baremetal"
            ? { provider: config.provider, zone: lb.dnsZone, name: lb.dnsName, awsRegion: config.aws?.region }
            : undefined,
        dependsOn: [...cni.steps, ...Object.values(workers.joins), controlPlane.ready],
      },
      parent,
    );
  }
}
