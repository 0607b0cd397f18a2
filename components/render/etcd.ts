// etcd as a host systemd service (both topologies): the environment file and unit (pure).

import { HOST_PATHS } from "../hostLayout";
import { bareToken } from "./guard";

export interface EtcdMemberAddress {
  name: string;
  ip: string;
}

export function clientUrl(ip: string): string {
  return `https://${ip}:2379`;
}

export function peerUrl(ip: string): string {
  return `https://${ip}:2380`;
}

export function initialCluster(members: EtcdMemberAddress[]): string {
  return members.map((m) => `${m.name}=${peerUrl(m.ip)}`).join(",");
}

export function clientEndpoints(members: EtcdMemberAddress[]): string[] {
  return members.map((m) => clientUrl(m.ip));
}

/** ETCD_* variables read by etcd itself; mutual TLS for clients and peers. */
export function renderEtcdEnv(args: { member: EtcdMemberAddress; members: EtcdMemberAddress[]; clusterToken: string }): string {
  const { member } = args;
  if (!args.members.some((m) => m.name === member.name)) {
    throw new Error(`etcd member ${member.name} is not in its own initial cluster`);
  }
  const vars: [string, string][] = [
    ["ETCD_NAME", member.name],
    ["ETCD_DATA_DIR", HOST_PATHS.etcdDataDir],
    ["ETCD_LISTEN_CLIENT_URLS", `${clientUrl(member.ip)},https://127.0.0.1:2379`],
    ["ETCD_ADVERTISE_CLIENT_URLS", clientUrl(member.ip)],
    ["ETCD_LISTEN_PEER_URLS", peerUrl(member.ip)],
    ["ETCD_INITIAL_ADVERTISE_PEER_URLS", peerUrl(member.ip)],
    // ETCD_INITIAL_CLUSTER and _STATE are decided on the host (etcd-member.sh, etcd-initial.env):
    // kept out of this file, so members added or removed by config restart no running member
    ["ETCD_INITIAL_CLUSTER_TOKEN", args.clusterToken],
    ["ETCD_LISTEN_METRICS_URLS", "http://127.0.0.1:2381"],
    ["ETCD_CLIENT_CERT_AUTH", "true"],
    ["ETCD_TRUSTED_CA_FILE", `${HOST_PATHS.etcdPkiDir}/ca.crt`],
    ["ETCD_CERT_FILE", `${HOST_PATHS.etcdPkiDir}/server.crt`],
    ["ETCD_KEY_FILE", `${HOST_PATHS.etcdPkiDir}/server.key`],
    ["ETCD_PEER_CLIENT_CERT_AUTH", "true"],
    ["ETCD_PEER_TRUSTED_CA_FILE", `${HOST_PATHS.etcdPkiDir}/ca.crt`],
    ["ETCD_PEER_CERT_FILE", `${HOST_PATHS.etcdPkiDir}/peer.crt`],
    ["ETCD_PEER_KEY_FILE", `${HOST_PATHS.etcdPkiDir}/peer.key`],
    ["ETCD_SNAPSHOT_COUNT", "10000"],
    ["ETCD_AUTO_COMPACTION_RETENTION", "8"],
    ["ETCD_HEARTBEAT_INTERVAL", "250"],
    ["ETCD_ELECTION_TIMEOUT", "5000"],
  ];
  return `# managed by kubeadm-ha\n${vars.map(([k, v]) => `${k}=${bareToken(v, k)}`).join("\n")}\n`;
}

export function renderEtcdUnit(): string {
  return [
    "# managed by kubeadm-ha",
    "[Unit]",
    "Description=etcd key-value store (kubeadm-ha)",
    "Documentation=https://etcd.io/docs/",
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    "Type=notify",
    `EnvironmentFile=${HOST_PATHS.etcdEnv}`,
    // how this member first started (written by etcd-install.sh); etcd ignores it once it has data
    `EnvironmentFile=-${HOST_PATHS.etcdInitialEnv}`,
    `ExecStart=${HOST_PATHS.binDir}/etcd`,
    "Restart=always",
    "RestartSec=5s",
    "LimitNOFILE=65536",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}
