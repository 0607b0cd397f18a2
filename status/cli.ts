// `npm run status -- [--stack NAME] [--json]`: is the cluster of this stack healthy? Reads the stack's
// config (hosts, SSH, pinned host keys: the same validation as the program) and its outputs (the
// version the last deployment left), asks every host over the program's own SSH what it knows
// (status/node-status.sh: kubelet, etcd member, certificates, apiserver proxy upstreams) and one
// control plane for the cluster's nodes and leader leases, then prints a table (or JSON). Exit 0
// healthy, 1 degraded, 2 when it cannot tell (config or outputs unreadable). Never prints a secret:
// the SSH key goes to local-ssh-run.sh on stdin, and no output marked secret is read.
// Bare-metal stacks; run it where the hosts are reachable (the lab: dev/lab/lab.sh exec npm run status).

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { rawStackConfig, readConfigFile } from "../config/load";
import { ConfigError } from "../config/reader";
import { validateConfig } from "../config/validate";
import type { HostSpec } from "../config/types";
import { runLocalSsh } from "../providers/localSsh";
import { readScript } from "../components/scripts";
import { judge, parseClusterView, parseNodeStatus, render, type NodeFacts, type NodeTarget, type RawViews } from "./report";

class Refusal extends Error {}

/** beside this file in the repository; from dist/status/ in the built package */
const NODE_STATUS_SCRIPT =
  [path.join(__dirname, "node-status.sh"), path.join(__dirname, "..", "..", "status", "node-status.sh")].find((f) => fs.existsSync(f)) ??
  path.join(__dirname, "node-status.sh");

function pulumi(args: string[]): string {
  const r = spawnSync("pulumi", [...args, "--non-interactive"], { encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Refusal(`pulumi ${args[0]} ${args[1] ?? ""} failed: ${(r.stderr || r.error?.message || "").trim()}`);
  return r.stdout;
}

/** `pulumi config --json` values as the engine hands them to the program (text; objects as JSON) */
function stackConfig(stackArgs: string[]): Record<string, string> {
  const json = JSON.parse(pulumi(["config", "--json", "--show-secrets", ...stackArgs])) as Record<string, { value?: unknown }>;
  const all: Record<string, string> = {};
  for (const [key, v] of Object.entries(json)) {
    if (v.value !== undefined) all[key] = typeof v.value === "string" ? v.value : JSON.stringify(v.value);
  }
  return all;
}

async function main(argv: string[]): Promise<number> {
  const stack = argv.includes("--stack") ? argv[argv.indexOf("--stack") + 1] : undefined;
  const asJson = argv.includes("--json");
  const stackArgs = stack ? ["--stack", stack] : [];
  const all = stackConfig(stackArgs);
  const secretKey = all["kubeadm-ha:sshPrivateKey"];
  const config = validateConfig(rawStackConfig(all), { sshPrivateKey: secretKey !== undefined, readFile: readConfigFile });
  if (config.provider !== "baremetal") {
    throw new Refusal(`status reads bare-metal stacks; this one is ${config.provider} (cloud stacks: not yet)`);
  }
  const privateKey = secretKey ?? readConfigFile(config.ssh.privateKeyFile ?? "");
  if (!privateKey) throw new Refusal(`kubeadm-ha:ssh.privateKeyFile: ${config.ssh.privateKeyFile} cannot be read`);
  const outputs = JSON.parse(pulumi(["stack", "output", "--json", ...stackArgs])) as Record<string, unknown>;
  const running = typeof outputs.kubernetesVersion === "string" ? outputs.kubernetesVersion : undefined;

  const script = readScript("layout.sh") + "\n" + fs.readFileSync(NODE_STATUS_SCRIPT, "utf8");
  const targets: (NodeTarget & { host: HostSpec })[] = config.hosts.map((h) => ({
    name: h.name,
    roles: [...h.roles],
    privateIp: h.privateIp ?? h.address,
    host: h,
  }));
  const answers: (NodeFacts & RawViews)[] = await Promise.all(
    targets.map(async ({ host, ...t }) => {
      const env = [
        t.roles.includes("etcd") ? `export KHA_ETCD_ENDPOINT=https://${t.privateIp}:2379` : "",
        t.roles.includes("control-plane") ? "export KHA_STATUS_CLUSTER=true" : "",
      ].join("\n");
      const r = await runLocalSsh(host, privateKey, { KHA_SSH_MODE: "fetch", KHA_REMOTE_PROGRAM: `${env}\n${script}` });
      if (r.status !== 0) {
        const why = r.stderr.split("\n").find((l) => l.startsWith("kubeadm-ha:")) ?? `exit ${r.status}`;
        return { ...t, certs: [], proxy: [], sshError: why.replace(/^kubeadm-ha: (ERROR: )?/, "") };
      }
      return parseNodeStatus(t, r.stdout);
    }),
  );
  const nodes: NodeFacts[] = answers.map(({ name, roles, privateIp, sshError, kubelet, etcd, certs, proxy }) => ({
    name,
    roles,
    privateIp,
    sshError,
    kubelet,
    etcd,
    certs,
    proxy,
  }));
  const viewFrom = answers.find((a) => a.rawNodes);
  const cluster = viewFrom ? parseClusterView(viewFrom.name, viewFrom.rawNodes!, viewFrom.rawLeases, viewFrom.rawApiServices) : undefined;
  const now = new Date();
  const report = judge({
    stack: stack ?? "(selected)",
    nodes,
    cluster,
    kubernetesVersion: running,
    earlyRenewalHours: config.pki.earlyRenewalHours,
    now,
  });
  console.log(asJson ? JSON.stringify(report, null, 2) : render(report, now));
  return report.healthy ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    // a config error (it names every key and its fix) or a refusal: the message only, no stack trace
    console.error(`status: ${e instanceof ConfigError || e instanceof Refusal || e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  },
);
