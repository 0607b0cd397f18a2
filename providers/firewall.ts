// What the cloud firewalls open, derived from the topology alone (pure; DigitalOcean and AWS
// both translate these rules into their own resources). Everything not listed stays closed.

import type { ClusterConfig, NodeRole } from "../config/types";

/** "all" = every node of this cluster. */
export type Target = NodeRole | "all";

export interface FirewallRule {
  description: string;
  protocol: "tcp" | "udp";
  /** "22" or "2379-2380" */
  ports: string;
  /** the nodes the rule opens */
  to: Target;
  /** traffic allowed from these cluster nodes ... */
  fromRoles: Target[];
  /** ... and from these address blocks */
  fromCidrs: string[];
}

const ANYWHERE = "0.0.0.0/0";

export function firewallRules(config: ClusterConfig, adminCidrs: string[]): FirewallRule[] {
  const rules: FirewallRule[] = [
    { description: "ssh", protocol: "tcp", ports: "22", to: "all", fromRoles: [], fromCidrs: adminCidrs },
    {
      description: "kube-apiserver",
      protocol: "tcp",
      ports: String(config.apiEndpoint.port),
      to: "control-plane",
      fromRoles: ["all"],
      fromCidrs: adminCidrs,
    },
    {
      description: "etcd client and peer",
      protocol: "tcp",
      ports: "2379-2380",
      to: "etcd",
      fromRoles: config.etcdTopology === "stacked" ? ["etcd"] : ["etcd", "control-plane"],
      fromCidrs: [],
    },
    { description: "kubelet", protocol: "tcp", ports: "10250", to: "all", fromRoles: ["all"], fromCidrs: [] },
  ];
  rules.push(...cniRules(config));
  const lb = config.serviceLoadBalancer;
  if (lb.enabled) {
    for (const [name, port] of [
      ["http", lb.httpNodePort],
      ["https", lb.httpsNodePort],
    ] as const) {
      rules.push({
        description: `service load balancer ${name}`,
        protocol: "tcp",
        ports: String(port),
        to: "loadbalancer",
        fromRoles: [],
        fromCidrs: [ANYWHERE],
      });
    }
  }
  return rules;
}

function cniRules(config: ClusterConfig): FirewallRule[] {
  switch (config.cni) {
    case "calico": // VXLAN mode: works where IP-in-IP (protocol 4) cannot pass the cloud firewall
      return [{ description: "calico vxlan", protocol: "udp", ports: "4789", to: "all", fromRoles: ["all"], fromCidrs: [] }];
    case "flannel":
      return [{ description: "flannel vxlan", protocol: "udp", ports: "8472", to: "all", fromRoles: ["all"], fromCidrs: [] }];
    case "bridge": // routed pod traffic arrives with pod source addresses
      return (["tcp", "udp"] as const).map((protocol) => ({
        description: `pod network ${protocol}`,
        protocol,
        ports: "1-65535",
        to: "all" as Target,
        fromRoles: ["all"] as Target[],
        fromCidrs: [config.podCidr],
      }));
  }
}

/** Roles a node must carry for a rule's `to` to match it. */
export function ruleApplies(rule: FirewallRule, roles: readonly NodeRole[]): boolean {
  return rule.to === "all" || roles.includes(rule.to);
}
