// Which machines a cloud provider must create, with their roles. Bare metal takes the hosts list
// as it is. Names are stable (index-based) so adding a worker never renames another node.

import type { ClusterConfig, NodePlan, NodeRole } from "./types";

export function planNodes(config: ClusterConfig): NodePlan[] {
  if (config.provider === "baremetal") {
    return config.hosts.map((h) => ({ name: h.name, roles: [...h.roles] }));
  }
  const prefix = config.clusterName;
  const plans: NodePlan[] = [];
  for (let i = 1; i <= config.controlPlaneCount; i++) {
    const roles: NodeRole[] = ["control-plane"];
    if (config.etcdTopology === "stacked") roles.push("etcd");
    plans.push({ name: `${prefix}-cp-${i}`, roles });
  }
  if (config.etcdTopology === "external") {
    for (let i = 1; i <= config.etcdCount; i++) plans.push({ name: `${prefix}-etcd-${i}`, roles: ["etcd"] });
  }
  const lb = config.serviceLoadBalancer;
  const lbCount = lb.enabled ? Math.min(lb.nodeCount, config.workerCount) : 0;
  for (let i = 1; i <= config.workerCount; i++) {
    const roles: NodeRole[] = i <= lbCount ? ["worker", "loadbalancer"] : ["worker"];
    plans.push({ name: `${prefix}-worker-${i}`, roles });
  }
  return plans;
}

export function hasRole(node: { roles: readonly NodeRole[] }, role: NodeRole): boolean {
  return node.roles.includes(role);
}
