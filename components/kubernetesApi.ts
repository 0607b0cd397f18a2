// The Kubernetes provider every add-on talks to its cluster through: built from the cluster's own
// admin kubeconfig, never from the ambient one of the machine running Pulumi.

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

export interface ClusterApiArgs {
  /** admin kubeconfig of the cluster */
  kubeconfig: pulumi.Input<string>;
  /**
   * What makes the cluster the same cluster (its CA). Without it, upstream's provider replaces
   * itself, and so every object made through it, whenever the kubeconfig is not known at preview
   * time: any renewal of the admin certificate would delete and recreate them.
   */
  clusterIdentifier?: pulumi.Input<string>;
  /** patch ConfigMaps in place (upstream's default replaces them, which with a fixed name deletes them first) */
  enableConfigMapMutable?: boolean;
}

/**
 * clusterIdentifier: the provider (and every object) is replaced only when the cluster changes.
 * deleteUnreachable: a cluster whose machines are already gone must not wedge `pulumi destroy`.
 */
export function clusterApiProvider(name: string, args: ClusterApiArgs, parent: pulumi.Resource): k8s.Provider {
  return new k8s.Provider(
    name,
    {
      kubeconfig: args.kubeconfig,
      clusterIdentifier: args.clusterIdentifier,
      enableServerSideApply: true,
      ...(args.enableConfigMapMutable ? { enableConfigMapMutable: true } : {}),
      deleteUnreachable: true,
    },
    { parent },
  );
}
