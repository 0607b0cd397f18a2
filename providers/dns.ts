// Round-robin DNS for the service load balancer: one A record per load-balancer node (its public
// address, else its private one) in the cloud's DNS (DigitalOcean domains or a Route 53 zone).
// A provider's job: the components never learn which cloud made a node. Bare metal has none.

import type * as awsModule from "@pulumi/aws";
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "../config/types";
import type { ClusterNode } from "./node";

export interface LoadBalancerDnsArgs {
  config: ClusterConfig;
  /** the nodes the load balancer runs on */
  nodes: ClusterNode[];
  /** the records' names start with it; the service load balancer's own name keeps existing stacks' records */
  name: string;
  /** the component the records belong under (the service load balancer) */
  parent: pulumi.Resource;
}

/** The records, or none when the stack sets no dnsZone/dnsName or runs on bare metal. */
export function loadBalancerDnsRecords(args: LoadBalancerDnsArgs): pulumi.CustomResource[] {
  const { config, nodes, name, parent } = args;
  const { dnsZone: zone, dnsName } = config.serviceLoadBalancer;
  if (!zone || !dnsName || nodes.length === 0) return [];
  const address = (node: ClusterNode) => pulumi.output(node.publicIp ?? node.privateIp);
  switch (config.provider) {
    case "digitalocean":
      return nodes.map(
        (node) =>
          new digitalocean.DnsRecord(
            `${name}-dns-${node.name}`,
            { domain: zone, type: "A", name: dnsName, value: address(node), ttl: 60 },
            { parent },
          ),
      );
    case "aws": {
      // (loaded by AWS stacks only: see providers/index.ts)
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const aws = require("@pulumi/aws") as typeof awsModule;
      const provider = new aws.Provider(`${name}-dns-aws`, { region: config.aws?.region as awsModule.Region }, { parent });
      const hostedZone = aws.route53.getZoneOutput({ name: zone }, { parent, provider });
      return nodes.map(
        (node) =>
          new aws.route53.Record(
            `${name}-dns-${node.name}`,
            {
              zoneId: hostedZone.zoneId,
              name: `${dnsName}.${zone}`,
              type: "A",
              ttl: 60,
              records: [address(node)],
              setIdentifier: node.name,
              multivalueAnswerRoutingPolicy: true,
            },
            { parent, provider },
          ),
      );
    }
    case "baremetal":
      return [];
  }
}
