// Before `pulumi up` changes anything on bare metal, the program logs in to every host whose key
// is pinned and compares the key it shows. Upstream's command provider refuses a changed key too,
// but only as "host key mismatch" on whichever step runs first; this names the host and both
// fingerprints up front, before any step sends key material. A host that cannot be reached only
// warns here (its steps fail on their own if they need it).

import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig, HostSpec } from "../config/types";
import { runLocalSsh } from "./localSsh";

export interface HostKeyProblem {
  host: string;
  message: string;
}

async function checkOne(host: HostSpec, privateKey: string): Promise<HostKeyProblem | undefined> {
  const result = await runLocalSsh(host, privateKey, { KHA_SSH_MODE: "check" });
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

/**
 * The value once the check passed; never, if it failed. The program hands every SSH connection the
 * private key through this, so the check runs while the program builds its resources (a no-op `up`
 * does not wait for it first) and still no step can reach any host before every pinned key was
 * seen to match. The caller awaits the check itself too: its failure ends the program with the
 * check's error while the steps wait here for a key that never comes.
 */
export function afterHostKeyCheck<T>(value: pulumi.Input<T>, checked: Promise<void>): pulumi.Output<T> {
  const passed = checked.then(
    () => true,
    () => new Promise<boolean>(() => undefined),
  );
  return pulumi.all([value, passed]).apply(([v]) => v) as pulumi.Output<T>;
}
