// What this stack's last finished deployment left, read from its own outputs (a StackReference to
// itself: the engine reads the last checkpoint, so a preview sees it too). Only the program does
// this; a program that embeds Cluster passes what it knows itself.

import * as pulumi from "@pulumi/pulumi";
import type { MemberNode } from "./membership";
import { NODE_ROLES, type NodeRole } from "./types";

/** the stack outputs read back: Cluster.kubernetesVersion, and the digest of the host scripts */
export const KUBERNETES_VERSION_OUTPUT = "kubernetesVersion";
export const HOST_SCRIPTS_OUTPUT = "hostScripts";

export interface PreviousDeployment {
  /**
   * The Kubernetes version every node runs; null for a new stack (nothing runs yet); undefined when
   * the stack was deployed by a release before the output (unknown: a version change is refused).
   */
  kubernetesVersion?: string | null;
  /** hostScriptsDigest() of the release that deployed it */
  hostScripts?: string;
  /** the nodes and roles it deployed (the `nodes` output); undefined for a new stack */
  nodes?: MemberNode[];
}

/** the `nodes` output as read back: only well-formed entries (name and known roles) */
export function memberNodes(value: unknown): MemberNode[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const known = (r: unknown): r is NodeRole => typeof r === "string" && (NODE_ROLES as readonly string[]).includes(r);
  return value
    .filter((n): n is { name: string; roles: unknown[] } => typeof n?.name === "string" && Array.isArray(n?.roles))
    .map((n) => ({ name: n.name, roles: n.roles.filter(known) }));
}

export async function previousDeployment(): Promise<PreviousDeployment> {
  const self = new pulumi.StackReference("previous-deployment", {
    name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
  });
  const text = async (name: string) => {
    const { value } = await self.getOutputDetails(name);
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  const version = await text(KUBERNETES_VERSION_OUTPUT);
  // (every release exports `nodes`: without it, no deployment finished yet)
  const nodes = (await self.getOutputDetails("nodes")).value;
  const deployed = nodes !== undefined;
  return {
    kubernetesVersion: version ?? (deployed ? undefined : null),
    hostScripts: await text(HOST_SCRIPTS_OUTPUT),
    nodes: memberNodes(nodes),
  };
}

/** What the preview says when this release's host scripts differ from the ones that deployed the stack. */
export function hostScriptsNotice(previous: string | undefined, current: string): string | undefined {
  if (previous === undefined || previous === current) return undefined;
  return (
    `the host scripts differ from the release that last deployed this stack (${previous} -> ${current}): every host step ` +
    "runs once more, which the preview lists as updates. Each restarts only what its own files changed; control planes " +
    'still go one at a time and etcd members restart in turn (README, "Upgrading kubeadm-ha").'
  );
}
