// Before `pulumi up` changes anything on bare metal, the program logs in to every host whose key
// is pinned and compares the key it shows. Upstream's command provider refuses a changed key too,
// but only as "host key mismatch" on whichever step runs first; this names the host and both
// fingerprints up front, before any step sends key material. A host that cannot be reached only
// warns here (its steps fail on their own if they need it).

import { spawn } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig, HostSpec } from "../config/types";
import { bastionArg } from "../components/remote";
import { readScript } from "../components/scripts";

export interface HostKeyProblem {
  host: string;
  message: string;
}

/** runs local-ssh-run.sh in check mode; resolves to its exit status and stderr (killed after 60 s) */
function runCheck(env: Record<string, string>, privateKey: string): Promise<{ status: number | null; stderr: string; error?: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", readScript("local-ssh-run.sh")], {
      env: { ...process.env, ...env },
      stdio: ["pipe", "ignore", "pipe"],
    });
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ status: null, stderr, error: e.message });
    });
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
    child.stdin.end(privateKey);
  });
}

async function checkOne(host: HostSpec, privateKey: string): Promise<HostKeyProblem | undefined> {
  const bastion = host.bastion;
  const result = await runCheck(
    {
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
    privateKey,
  );
  const lines = result.stderr.split("\n").filter((l) => l.startsWith("kubeadm-ha:"));
  for (const warning of lines.filter((l) => l.includes("WARNING"))) pulumi.log.warn(warning.replace(/^kubeadm-ha: WARNING: /, ""));
  if (result.status === 0) return undefined;
  const error = lines.find((l) => l.includes("ERROR")) ?? `the SSH check failed (${result.error ?? `exit ${result.status}`})`;
  return { host: host.name, message: error.replace(/^kubeadm-ha: ERROR: /, "") };
}

/**
 * Checks the pinned host keys of every bare-metal host (hosts trusted on first use have theirs in
 * state, where upstream's check holds them), all at once. Rejects with one error listing every host
 * that failed.
 */
export async function checkHostKeys(config: ClusterConfig, privateKey: string): Promise<void> {
  // every host at once: a no-op up waits for the slowest host, not for the sum of them
  const results = await Promise.all(config.hosts.filter((h) => h.hostKey !== undefined).map((h) => checkOne(h, privateKey)));
  const problems = results.filter((p): p is HostKeyProblem => p !== undefined);
  if (problems.length > 0) {
    throw new pulumi.RunError(
      `SSH host key check failed before anything was changed:\n${problems.map((p) => `  - ${p.message}`).join("\n")}`,
    );
  }
}
