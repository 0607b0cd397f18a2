// Before `pulumi up` changes anything on bare metal, the program logs in to every host whose key
// is pinned and compares the key it shows. Upstream's command provider refuses a changed key too,
// but only as "host key mismatch" on whichever step runs first; this names the host and both
// fingerprints up front, before any step sends key material. A host that cannot be reached only
// warns here (its steps fail on their own if they need it).

import { spawnSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig, HostSpec } from "../config/types";
import { bastionArg } from "../components/remote";
import { readScript } from "../components/scripts";

export interface HostKeyProblem {
  host: string;
  message: string;
}

function checkOne(host: HostSpec, privateKey: string): HostKeyProblem | undefined {
  const bastion = host.bastion;
  const result = spawnSync("bash", ["-c", readScript("local-ssh-run.sh")], {
    input: privateKey,
    encoding: "utf8",
    timeout: 60_000,
    env: {
      ...process.env,
      KHA_SSH_MODE: "check",
      KHA_NODE: host.name,
      KHA_HOST: host.address,
      KHA_PORT: String(host.port),
      KHA_USER: host.user,
      KHA_HOST_KEY: host.hostKey ?? "",
      KHA_BASTION: bastionArg(bastion),
      KHA_BASTION_HOST_KEY: bastion?.hostKey ?? "",
      KHA_SSH_TRIES: "1",
      KHA_SSH_TIMEOUT: "5",
    },
  });
  const lines = (result.stderr ?? "").split("\n").filter((l) => l.startsWith("kubeadm-ha:"));
  for (const warning of lines.filter((l) => l.includes("WARNING"))) pulumi.log.warn(warning.replace(/^kubeadm-ha: WARNING: /, ""));
  if (result.status === 0) return undefined;
  const error = lines.find((l) => l.includes("ERROR")) ?? `the SSH check failed (${result.error?.message ?? `exit ${result.status}`})`;
  return { host: host.name, message: error.replace(/^kubeadm-ha: ERROR: /, "") };
}

/**
 * Checks the pinned host keys of every bare-metal host (hosts trusted on first use have theirs in
 * state, where upstream's check holds them). Throws one error listing every host that failed.
 */
export function checkHostKeys(config: ClusterConfig, privateKey: string): void {
  const problems = config.hosts
    .filter((h) => h.hostKey !== undefined)
    .map((h) => checkOne(h, privateKey))
    .filter((p): p is HostKeyProblem => p !== undefined);
  if (problems.length > 0) {
    throw new pulumi.RunError(
      `SSH host key check failed before anything was changed:\n${problems.map((p) => `  - ${p.message}`).join("\n")}`,
    );
  }
}
