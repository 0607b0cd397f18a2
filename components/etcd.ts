// EtcdCluster: etcd as a host systemd service on every node with the etcd role (stacked = the
// control planes, external = dedicated nodes), mutual TLS for clients and peers, then a health
// gate that waits for every member before anything depends on etcd. Before any member step, a
// snapshot of the running cluster whenever something that risks its data changes.

import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { ArtifactsConfig, EtcdSnapshotsConfig } from "../config/types";
import type { ClusterNode } from "../providers/node";
import { artifactsDigest, copyArtifacts, localBinaries } from "./artifacts";
import type { ClusterPki } from "./pki";
import { clientEndpoints, EtcdMemberAddress, initialCluster, peerUrl, renderEtcdEnv, renderEtcdUnit } from "./render/etcd";
import { localSshEnvironment, runOnNode } from "./remote";
import { readScript } from "./scripts";
import { HOST_PATHS } from "./hostLayout";
import { nodeStep, type PerNodeArgs } from "./phase";

export interface EtcdClusterArgs extends PerNodeArgs {
  members: ClusterNode[];
  pki: ClusterPki;
  clusterToken: pulumi.Input<string>;
  artifacts: ArtifactsConfig;
  /** default: keep 5, no label */
  snapshots?: EtcdSnapshotsConfig;
  /** a new Kubernetes version is a risky change too: the snapshot step runs before it */
  kubernetesVersion?: pulumi.Input<string>;
}

export function etcdReleaseUrl(artifacts: ArtifactsConfig): string {
  const v = artifacts.etcdVersion;
  return `${artifacts.etcdBaseUrl}/v${v}/etcd-v${v}-linux-amd64.tar.gz`;
}

export class EtcdCluster extends pulumi.ComponentResource {
  readonly installs: Record<string, command.remote.Command> = {};
  readonly healthGate: command.remote.Command;
  /** etcd-snapshot.sh on the first member, before every member step */
  readonly snapshot: command.remote.Command;
  /** etcdSnapshots.copyTo: the snapshot copied to the machine running Pulumi (etcd-snapshot-copy.sh) */
  readonly snapshotCopy?: command.local.Command;
  /** https://<ip>:2379 for every member */
  readonly endpoints: pulumi.Output<string[]>;
  /** name=https://<ip>:2380,... of every member: what etcd-restore.sh needs */
  readonly initialCluster: pulumi.Output<string>;

  constructor(name: string, args: EtcdClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kubeadm-ha:etcd:EtcdCluster", name, {}, opts);
    if (args.members.length === 0) throw new Error("EtcdCluster needs at least one member");
    const parent = { parent: this };
    const addresses: pulumi.Output<EtcdMemberAddress[]> = pulumi
      .all(args.members.map((m) => pulumi.output(m.privateIp)))
      .apply((ips) => args.members.map((m, i) => ({ name: m.name, ip: ips[i] })));
    this.endpoints = addresses.apply(clientEndpoints);
    const members = addresses.apply(initialCluster);
    this.initialCluster = members;
    const binaries = localBinaries(args.artifacts, ["etcd", "etcdctl"]);
    const first = args.members[0];
    const endpointList = this.endpoints.apply((e) => e.join(","));

    // Its inputs are what a risky change changes (the members, the versions) and the on-demand
    // label: any of them changed re-runs it, and every member step waits for it. On day 1 nothing
    // answers yet and it only says so. The client certificate travels with it: the first member
    // may be new, without the files its install step will bring.
    this.snapshot = runOnNode(
      `${name}-snapshot`,
      {
        node: first,
        script: "etcd-snapshot.sh",
        helpers: ["lib.sh"],
        lock: HOST_PATHS.etcdLock,
        env: {
          KHA_ETCD_ENDPOINTS: endpointList,
          KHA_SNAPSHOT_LABEL: args.snapshots?.take || "before-change",
          KHA_SNAPSHOT_KEEP: String(args.snapshots?.keep ?? 5),
          KHA_ETCD_MEMBERS: members,
          KHA_ETCD_VERSION: args.artifacts.etcdVersion,
          KHA_KUBERNETES_VERSION: args.kubernetesVersion ?? "",
        },
        files: [
          { path: `${HOST_PATHS.etcdPkiDir}/ca.crt`, content: args.pki.etcdCa.certPem },
          { path: `${HOST_PATHS.etcdPkiDir}/healthcheck-client.crt`, content: args.pki.etcdHealthcheckClient.certPem },
          { path: `${HOST_PATHS.etcdPkiDir}/healthcheck-client.key`, content: args.pki.etcdHealthcheckClient.keyPem, mode: "0600" },
        ],
        dependsOn: args.after?.[first.name] ?? [],
      },
      parent,
    );

    if (args.snapshots?.copyTo)
      this.snapshotCopy = copySnapshot(`${name}-snapshot-copy`, first, this.snapshot, args.snapshots.copyTo, parent);

    for (const member of args.members) {
      const certs = args.pki.etcdMembers[member.name];
      if (!certs) throw new Error(`ClusterPki has no etcd certificates for ${member.name}`);
      const env = pulumi
        .all([addresses, args.clusterToken])
        .apply(([all, token]) => renderEtcdEnv({ member: all.find((a) => a.name === member.name)!, members: all, clusterToken: token }));
      const afterSnapshot = { ...args, after: { [member.name]: [...(args.after?.[member.name] ?? []), this.snapshot] } };
      this.installs[member.name] = nodeStep(`${name}-${member.name}`, member, "etcd-reset.sh", afterSnapshot, this, (dependsOn) => {
        // the binaries travel as soon as the host is prepared, beside the Kubernetes files, not after
        // the snapshot and the reset: etcd's install is on the way to `kubeadm init`
        const copies = copyArtifacts(`${name}-${member.name}`, member, binaries, {
          parent: this,
          dependsOn: args.after?.[member.name] ?? [],
        });
        return runOnNode(
          `${name}-${member.name}-install`,
          {
            node: member,
            script: "etcd-install.sh",
            lock: HOST_PATHS.etcdLock,
            // (etcd-snapshot.sh and etcd-restore.sh: on every member for the operator, README "etcd snapshots and restore")
            helpers: ["lib.sh", "etcd-member.sh", "etcd-snapshot.sh", "etcd-restore.sh"],
            env: {
              KHA_ETCD_VERSION: args.artifacts.etcdVersion,
              KHA_ETCD_URL: args.artifacts.source === "release" ? etcdReleaseUrl(args.artifacts) : "",
              KHA_ARTIFACTS_DIGEST: artifactsDigest(binaries),
              KHA_ETCD_NAME: member.name,
              KHA_ETCD_PEER_URL: pulumi.output(member.privateIp).apply(peerUrl),
              // the configured members: how a member without data finds the running cluster
              KHA_ETCD_INITIAL_CLUSTER: members,
            },
            files: [
              { path: HOST_PATHS.etcdUnitFile, content: renderEtcdUnit() },
              { path: HOST_PATHS.etcdEnv, content: env },
              { path: `${HOST_PATHS.etcdPkiDir}/ca.crt`, content: args.pki.etcdCa.certPem },
              { path: `${HOST_PATHS.etcdPkiDir}/server.crt`, content: certs.server.certPem },
              { path: `${HOST_PATHS.etcdPkiDir}/server.key`, content: certs.server.keyPem, mode: "0600" },
              { path: `${HOST_PATHS.etcdPkiDir}/peer.crt`, content: certs.peer.certPem },
              { path: `${HOST_PATHS.etcdPkiDir}/peer.key`, content: certs.peer.keyPem, mode: "0600" },
              { path: `${HOST_PATHS.etcdPkiDir}/healthcheck-client.crt`, content: args.pki.etcdHealthcheckClient.certPem },
              { path: `${HOST_PATHS.etcdPkiDir}/healthcheck-client.key`, content: args.pki.etcdHealthcheckClient.keyPem, mode: "0600" },
            ],
            dependsOn: [...dependsOn, ...copies],
          },
          parent,
        );
      });
    }

    this.healthGate = runOnNode(
      `${name}-health`,
      {
        node: first,
        script: "etcd-health.sh",
        // it talks to etcd only: it need not wait for the host's own preparation (image imports)
        lock: HOST_PATHS.etcdLock,
        helpers: ["lib.sh"],
        env: { KHA_ETCD_ENDPOINTS: endpointList, KHA_ETCD_MEMBERS: members },
        dependsOn: Object.values(this.installs),
      },
      parent,
    );
    this.registerOutputs({ endpoints: this.endpoints, initialCluster: this.initialCluster });
  }
}

/** The snapshot file a run of etcd-snapshot.sh took (its last line names it); empty when it took none. */
export function snapshotTaken(stdout: string): string {
  const match = /^kubeadm-ha\[etcd-snapshot\]: snapshot of .* at revision \S+: (\/\S+\.db)$/m.exec(stdout);
  return match ? match[1] : "";
}

/**
 * etcdSnapshots.copyTo: each snapshot the snapshot step takes is copied, verified, to a directory on
 * the machine running Pulumi (etcd-snapshot-copy.sh over the program's pinned SSH). It runs again
 * whenever the snapshot step took another one.
 */
function copySnapshot(
  name: string,
  node: ClusterNode,
  snapshot: command.remote.Command,
  copyTo: string,
  opts: pulumi.CustomResourceOptions,
): command.local.Command {
  const file = snapshot.stdout.apply(snapshotTaken);
  return new command.local.Command(
    name,
    {
      create: 'bash -c "$KHA_SNAPSHOT_COPY"',
      environment: {
        ...localSshEnvironment(node),
        KHA_SNAPSHOT_COPY: readScript("etcd-snapshot-copy.sh"),
        KHA_SNAPSHOT_FILE: file,
        KHA_COPY_TO: copyTo,
      },
      stdin: pulumi.secret(node.connection.privateKey ?? ""),
      triggers: [file],
      logging: "stdoutAndStderr",
      addPreviousOutputInEnv: false,
    },
    { ...opts, dependsOn: [snapshot] },
  );
}
