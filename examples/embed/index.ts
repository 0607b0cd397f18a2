// Another team's Pulumi program embedding kubeadm-ha through its public exports only.
// It brings its own machines, declares the cluster in code instead of stack config (no validator
// of the whole stack config is called), and composes the components itself: a full cluster on
// four nodes, plus a separate TLS etcd cluster for its own application.

import * as pulumi from "@pulumi/pulumi";
import { Cluster, ClusterNode, ClusterPki, clusterSpec, EtcdCluster, NodeRole, sshConnection } from "kubeadm-ha";

const settings = new pulumi.Config("team");
const sshKey = settings.requireSecret("sshPrivateKey");
// each machine's SSH host key, pinned: e.g. `team:hostKeys: {"a-cp-1": "ssh-ed25519 AAAA..."}`
const hostKeys = settings.requireObject<Record<string, string>>("hostKeys");

// Machines described in code: any resources that yield SSH-reachable hosts would do.
function machine(name: string, ip: string, roles: NodeRole[]): ClusterNode {
  return {
    name,
    roles,
    privateIp: ip,
    connection: sshConnection(ip, { user: "root", port: 22, privateKey: sshKey, hostKey: hostKeys[name], dialErrorLimit: 5 }),
    ready: [],
  };
}

// 1. A whole cluster: the stack config's keys where the defaults do not fit, checked like stack
//    config (clusterSpec throws a ConfigError naming each bad key and its fix).
const spec = clusterSpec({
  clusterName: "team-a",
  cni: "calico",
  serviceLoadBalancer: { routes: [{ host: "app.team-a.example", service: "app", port: 80 }] },
});
const cluster = new Cluster("team-a", {
  spec,
  nodes: [
    machine("a-cp-1", "192.0.2.11", ["control-plane"]),
    machine("a-cp-2", "192.0.2.12", ["control-plane"]),
    machine("a-cp-3", "192.0.2.13", ["control-plane"]),
    machine("a-worker-1", "192.0.2.21", ["worker", "loadbalancer"]),
  ],
});

// 2. Components on their own: an etcd cluster for the team's app on nodes described by hand.
const appNodes = ["192.0.2.31", "192.0.2.32", "192.0.2.33"].map((ip, i) => machine(`app-etcd-${i + 1}`, ip, ["etcd"]));
const appPki = new ClusterPki("app", {
  clusterName: "app",
  etcdMembers: appNodes.map((n) => ({ name: n.name, privateIp: n.privateIp })),
  controlPlanes: [],
  serviceCidr: "10.96.0.0/12",
  endpoint: spec.apiEndpoint,
  validityHours: 8760,
  earlyRenewalHours: 720,
});
const appEtcd = new EtcdCluster("app-etcd", {
  members: appNodes,
  pki: appPki,
  clusterToken: "app",
  artifacts: spec.artifacts,
  resetOnDestroy: true,
});

export const kubeconfig = cluster.kubeconfig;
export const apiServer = cluster.apiServer;
export const appEtcdEndpoints = appEtcd.endpoints;
export const appEtcdCa = appPki.etcdCa.certPem;
