// ServiceLoadBalancer: ingress for clusters without a cloud load balancer (the on-prem guide's
// design). Nodes chosen for the job are labelled role=loadbalancer; a DaemonSet of HAProxy runs
// on exactly those nodes; one NodePort Service (30800 http, 30443 https by default) fronts it;
// HAProxy routes by host name to in-cluster Services. (DNS records for the load-balancer nodes
// are the providers' job: providers/dns.ts.)
//
// Why HAProxy configured from a routes list (not an ingress controller): routes live in the stack
// config next to everything else, there is no controller with cluster-wide RBAC to run, and the
// image is a plain maintained upstream image that air-gapped installs can preload.

import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { ServiceRoute } from "../config/types";
import type { ClusterNode } from "../providers/node";
import { clusterApiProvider, type ClusterApiArgs } from "./kubernetesApi";
import { HTTP_CONTAINER_PORT, HTTPS_CONTAINER_PORT, renderHaproxyConfig } from "./render/haproxy";

export const LB_LABEL = { role: "loadbalancer" };
export const LB_NAMESPACE = "kubeadm-ha-ingress";

export interface ServiceLoadBalancerArgs extends Omit<ClusterApiArgs, "enableConfigMapMutable"> {
  /** the nodes to label and run the load balancer on */
  nodes: ClusterNode[];
  routes: ServiceRoute[];
  httpNodePort: number;
  httpsNodePort: number;
  image: string;
  /** resources the Kubernetes objects must wait for (CNI, node joins) */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class ServiceLoadBalancer extends pulumi.ComponentResource {
  readonly provider: k8s.Provider;
  readonly daemonSet: k8s.apps.v1.DaemonSet;
  readonly service: k8s.core.v1.Service;
  readonly config: string;
  /** the nodes it runs on (providers/dns.ts puts their addresses in DNS) */
  readonly nodes: ClusterNode[];

  constructor(name: string, args: ServiceLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kubeadm-ha:serviceLoadBalancer:ServiceLoadBalancer", name, {}, opts);
    // enableConfigMapMutable: a routes change patches the HAProxy ConfigMap in place; the checksum
    // annotation on the pod template then rolls the DaemonSet, awaited by the provider.
    this.provider = clusterApiProvider(`${name}-k8s`, { ...args, enableConfigMapMutable: true }, this);
    const k8sOpts = { parent: this, provider: this.provider, dependsOn: args.dependsOn };

    const labels = args.nodes.map(
      (node) =>
        new k8s.core.v1.NodePatch(
          `${name}-label-${node.name}`,
          { metadata: { name: node.name, labels: LB_LABEL, annotations: { "pulumi.com/patchForce": "true" } } },
          k8sOpts,
        ),
    );
    const ns = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: LB_NAMESPACE } }, k8sOpts);
    this.nodes = args.nodes;
    this.config = renderHaproxyConfig(args.routes);
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      { metadata: { name: "service-loadbalancer", namespace: ns.metadata.name }, data: { "haproxy.cfg": this.config } },
      k8sOpts,
    );
    const appLabels = { app: "service-loadbalancer" };
    const checksum = crypto.createHash("sha256").update(this.config).digest("hex");
    this.daemonSet = new k8s.apps.v1.DaemonSet(
      `${name}-daemonset`,
      {
        metadata: { name: "service-loadbalancer", namespace: ns.metadata.name, labels: appLabels },
        spec: {
          selector: { matchLabels: appLabels },
          updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
          template: {
            metadata: { labels: appLabels, annotations: { "kubeadm-ha/config-sha256": checksum } },
            spec: {
              nodeSelector: LB_LABEL,
              // a load-balancer node may also be a control plane
              tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }],
              containers: [
                {
                  name: "haproxy",
                  image: args.image,
                  args: ["-f", "/usr/local/etc/haproxy/haproxy.cfg"],
                  ports: [
                    { name: "http", containerPort: HTTP_CONTAINER_PORT },
                    { name: "https", containerPort: HTTPS_CONTAINER_PORT },
                  ],
                  readinessProbe: { httpGet: { path: "/healthz", port: HTTP_CONTAINER_PORT }, periodSeconds: 5, failureThreshold: 2 },
                  livenessProbe: { httpGet: { path: "/healthz", port: HTTP_CONTAINER_PORT }, periodSeconds: 10, failureThreshold: 3 },
                  resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
                  volumeMounts: [{ name: "config", mountPath: "/usr/local/etc/haproxy", readOnly: true }],
                },
              ],
              volumes: [{ name: "config", configMap: { name: configMap.metadata.name } }],
            },
          },
        },
      },
      { ...k8sOpts, dependsOn: [...((args.dependsOn ?? []) as pulumi.Resource[]), ...labels] },
    );
    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: "service-loadbalancer", namespace: ns.metadata.name, labels: appLabels },
        spec: {
          type: "NodePort",
          selector: appLabels,
          ports: [
            { name: "http", port: 80, targetPort: HTTP_CONTAINER_PORT, nodePort: args.httpNodePort },
            { name: "https", port: 443, targetPort: HTTPS_CONTAINER_PORT, nodePort: args.httpsNodePort },
          ],
        },
      },
      k8sOpts,
    );
    this.registerOutputs({ service: this.service.metadata.name });
  }
}
