// What this stack's last finished deployment left running, read from its own outputs (a
// StackReference to itself: the engine reads the last checkpoint, so a preview sees it too). Only
// the program does this; a program that embeds Cluster passes what it knows itself.

import * as pulumi from "@pulumi/pulumi";

/** the stack output Cluster.kubernetesVersion is exported as */
export const KUBERNETES_VERSION_OUTPUT = "kubernetesVersion";

/** The Kubernetes version of the last finished deployment; undefined for a new stack (or one from before the output). */
export async function runningKubernetesVersion(): Promise<string | undefined> {
  const self = new pulumi.StackReference("previous-deployment", {
    name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
  });
  const { value } = await self.getOutputDetails(KUBERNETES_VERSION_OUTPUT);
  return typeof value === "string" && value !== "" ? value : undefined;
}
