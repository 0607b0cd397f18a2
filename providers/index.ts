// Picks the provider named by the stack config; all three yield the same node contract.

import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "../config/types";
import { AwsInfrastructure } from "./aws";
import { BareMetalInfrastructure } from "./baremetal";
import { DigitalOceanInfrastructure } from "./digitalocean";
import type { ClusterNode } from "./node";

export interface Infrastructure extends pulumi.ComponentResource {
  readonly nodes: ClusterNode[];
}

export function createInfrastructure(
  name: string,
  config: ClusterConfig,
  sshPrivateKey: pulumi.Input<string>,
  opts?: pulumi.ComponentResourceOptions,
): Infrastructure {
  const args = { config, sshPrivateKey };
  switch (config.provider) {
    case "digitalocean":
      return new DigitalOceanInfrastructure(name, args, opts);
    case "aws":
      return new AwsInfrastructure(name, args, opts);
    case "baremetal":
      return new BareMetalInfrastructure(name, args, opts);
  }
}

export { AwsInfrastructure, BareMetalInfrastructure, DigitalOceanInfrastructure };
