// Picks the provider named by the stack config; all three yield the same node contract.

import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "../config/types";
import { BareMetalInfrastructure } from "./baremetal";
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
    // the cloud providers are loaded by the stacks that use them only: @pulumi/aws alone takes
    // 0.15-0.2 s to load, on every run of every stack (a no-op `up` included)
    case "digitalocean": {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { DigitalOceanInfrastructure } = require("./digitalocean") as typeof import("./digitalocean");
      return new DigitalOceanInfrastructure(name, args, opts);
    }
    case "aws": {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { AwsInfrastructure } = require("./aws") as typeof import("./aws");
      return new AwsInfrastructure(name, args, opts);
    }
    case "baremetal":
      return new BareMetalInfrastructure(name, args, opts);
  }
}
