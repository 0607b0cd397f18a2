// Runs components/scripts/local-ssh-run.sh on the machine running Pulumi, for one host: the
// program's own SSH with the host key pinned (the pre-update host key check, the status report).
// The private key goes on stdin; killed after 60 s.

import { spawn } from "child_process";
import type { HostSpec } from "../config/types";
import { bastionArg } from "../components/remote";
import { readScript } from "../components/scripts";

export interface LocalSshResult {
  status: number | null;
  stdout: string;
  stderr: string;
  error?: string;
}

export function runLocalSsh(host: HostSpec, privateKey: string, env: Record<string, string>): Promise<LocalSshResult> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", readScript("local-ssh-run.sh")], {
      env: {
        ...process.env,
        KHA_NODE: host.name,
        KHA_HOST: host.address,
        KHA_PORT: String(host.port),
        KHA_USER: host.user,
        KHA_HOST_KEY: host.hostKey ?? "",
        KHA_BASTION: bastionArg(host.bastion),
        KHA_BASTION_HOST_KEY: host.bastion?.hostKey ?? "",
        KHA_SSH_TRIES: "1",
        KHA_SSH_TIMEOUT: "5",
        ...env,
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ status: null, stdout, stderr, error: e.message });
    });
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(privateKey);
  });
}
