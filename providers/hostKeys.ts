// Where each connection's pinned host key comes from: config (hosts[].hostKey, a bastion's
// hostKey, ssh.knownHostsFile), a key the program made itself (clouds: cloudHostKey), or, only
// under ssh.trustOnFirstUse, the key a host showed on its first connection (pinned in state).

import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as tls from "@pulumi/tls";
import type { SshEndpoint } from "../config/types";
import { bastionArg } from "../components/remote";
import { readScript } from "../components/scripts";

export interface ScanArgs {
  /** the node (or "bastion") the key belongs to, for messages */
  label: string;
  endpoint: SshEndpoint;
  privateKey: pulumi.Input<string>;
  /** the bastion a host is reached through, its key pinned (or scanned) already */
  bastion?: PinnedBastion;
}

/**
 * The endpoint's pinned key; without one (ssh.trustOnFirstUse), a local command that logs in once
 * accepting whatever key the host shows and keeps it in state. Later runs never scan again: an
 * update (user or bastion changed) hands the recorded key on; only a new address or port, a new
 * host, scans anew.
 */
export function pinnedHostKey(name: string, args: ScanArgs, parent: pulumi.Resource): pulumi.Input<string> {
  const { endpoint } = args;
  if (endpoint.hostKey) return endpoint.hostKey;
  pulumi.log.warn(
    `ssh.trustOnFirstUse: ${args.label} (${endpoint.host}:${endpoint.port}) has no pinned host key; the key it shows on its ` +
      "first connection is trusted and pinned from then on. Pin it in config (hostKey, ssh.knownHostsFile) to be safe from the start.",
    parent,
  );
  const scan = new command.local.Command(
    name,
    {
      create: 'bash -c "$KHA_SSH_RUN"',
      // an update must not scan again (that would trust a changed key): it repeats the recorded one
      update: 'printf "%s\\n" "$PULUMI_COMMAND_STDOUT"',
      addPreviousOutputInEnv: true,
      triggers: [endpoint.host, endpoint.port],
      environment: {
        KHA_SSH_RUN: readScript("local-ssh-run.sh"),
        KHA_SSH_MODE: "scan",
        KHA_NODE: args.label,
        KHA_HOST: endpoint.host,
        KHA_PORT: String(endpoint.port),
        KHA_USER: endpoint.user,
        KHA_BASTION: bastionArg(args.bastion),
        KHA_BASTION_HOST_KEY: args.bastion?.hostKey ?? "",
      },
      stdin: pulumi.secret(args.privateKey),
      logging: "stderr",
    },
    { parent },
  );
  return scan.stdout.apply((s) => s.trim());
}

export type PinnedBastion = Omit<SshEndpoint, "hostKey"> & { hostKey: pulumi.Input<string> };

/**
 * Pins bastions: each one (host:port) once, however many hosts go through it. `name` prefixes the
 * scan resource of a bastion trusted on first use.
 */
export function bastionPinner(name: string, privateKey: pulumi.Input<string>, parent: pulumi.Resource) {
  const pinned = new Map<string, PinnedBastion>();
  return (bastion: SshEndpoint | undefined): PinnedBastion | undefined => {
    if (!bastion) return undefined;
    const id = `${bastion.host}:${bastion.port}`;
    if (!pinned.has(id)) {
      const label = `bastion-${bastion.host.replace(/[^A-Za-z0-9-]/g, "-")}-${bastion.port}`;
      pinned.set(id, { ...bastion, hostKey: pinnedHostKey(`${name}-${label}-host-key`, { label, endpoint: bastion, privateKey }, parent) });
    }
    return pinned.get(id);
  };
}

/**
 * A cloud machine's host key, made by the program so the first connection is already pinned:
 * `cloudInitHostKeys` installs it through user data before sshd starts.
 */
export function cloudHostKey(name: string, parent: pulumi.Resource): tls.PrivateKey {
  return new tls.PrivateKey(name, { algorithm: "ED25519" }, { parent });
}

/** cloud-init user data that installs `key` as the machine's only SSH host key (a secret). */
export function cloudInitHostKeys(key: tls.PrivateKey): pulumi.Output<string> {
  return pulumi.secret(
    pulumi.all([key.privateKeyOpenssh, key.publicKeyOpenssh]).apply(([privateKey, publicKey]) =>
      [
        "#cloud-config",
        // no other host keys: the one pinned is the only one sshd can offer
        "ssh_deletekeys: true",
        "ssh_genkeytypes: []",
        "ssh_keys:",
        "  ed25519_private: |",
        ...privateKey
          .trim()
          .split("\n")
          .map((line) => `    ${line}`),
        `  ed25519_public: ${publicKey.trim()}`,
        "",
      ].join("\n"),
    ),
  );
}

/** The `type base64` form connections pin. */
export function openSshPublicKey(key: tls.PrivateKey): pulumi.Output<string> {
  return key.publicKeyOpenssh.apply((k) => k.trim().split(/\s+/).slice(0, 2).join(" "));
}
