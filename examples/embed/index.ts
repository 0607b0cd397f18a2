// Another team's Pulumi program embedding kubeadm-ha through its public exports only.
// It brings its own machines (any resources that yield SSH-reachable hosts would do), declares
// the cluster in code instead of stack config, and composes the components itself: a full
// cluster on three nodes, plus a separate TLS etcd cluster for its own application.

import * as pulumi from "@pulumi/pulumi";
import { BareMetalInfrastructure, Cluster, ClusterNode, ClusterPki, EtcdCluster, sshConnection, validateConfig } from "kubeadm-ha";

const settings = new pulumi.Config("team");
const sshKey = settings.requireSecret("sshPrivateKey");

// 1. A whole cluster from a config object, validated exactly like stack config.
const config = validateConfig(
  {
    provider: "baremetal",
    clusterName: "team-a",
    cni: "calico",
    hosts: [
      { name: "a-cp-1", address: "192.0.2.11", roles: ["control-plane"] },
      { name: "a-cp-2", address: "192.0.2.12", roles: ["control-plane"] },
      { name: "a-cp-3", address: "192.0.2.13", roles: ["control-plane"] },
      { name: "a-worker-1", address: "192.0.2.21", roles: ["worker", "loadbalancer"] },
    ],
    serviceLoadBalancer: { routes: [{ host: "app.team-a.example", service: "app", port: 80 }] },
  },
  { sshPrivateKey: true },
);
const machines = new BareMetalInfrastructure("team-a", { config, sshPrivateKey: sshKey });
const cluster = new Cluster("team-a", { config, nodes: machines.nodes });

// 2. Components on their own: an etcd cluster for the team's app on nodes described by hand.
const appNodes: ClusterNode[] = ["192.0.2.31", "192.0.2.32", "192.0.2.33"].map((ip, i) => ({
  name: `app-etcd-${i + 1}`,
  roles: ["etcd"],
  privateIp: ip,
  connection: sshConnection(ip, { user: "root", port: 22, privateKey: sshKey, dialErrorLimit: 5 }),
  ready: [],
}));
const appPki = new ClusterPki("app", {
  clusterName: "app",
  etcdMembers: appNodes.map((n) => ({ name: n.name, privateIp: n.privateIp })),
  controlPlanes: [],
  serviceCidr: "10.96.0.0/12",
  endpoint: config.apiEndpoint,
  validityHours: 8760,
  earlyRenewalHours: 720,
});
const appEtcd = new EtcdCluster("app-etcd", {
  members: appNodes,
  pki: appPki,
  clusterToken: "app",
  artifacts: config.artifacts,
  resetOnDestroy: true,
});

export const kubeconfig = cluster.kubeconfig;
export const apiServer = cluster.apiServer;
export const appEtcdEndpoints = appEtcd.endpoints;
export const appEtcdCa = appPki.etcdCa.certPem;
