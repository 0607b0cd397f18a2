// Prints, as JSON, how many resources of each type the program registers for a stack config file
// when evaluated under mocks. The real-engine preview test compares its plan against this.
//   ts-node --transpile-only test/engine/expected-counts.ts Pulumi.<stack>.yaml

import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { recorded, resolve, settle, setupMocks } from "../unit/harness";
import { validateConfig } from "../../config/validate";
import { createInfrastructure } from "../../providers";
import { clusterSpecOf } from "../../config/clusterSpec";
import { Cluster } from "../../components/cluster";
import { previousDeployment } from "../../config/previousDeployment";

async function main(file: string): Promise<void> {
  setupMocks("expected");
  const doc = parse(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
  const raw = Object.fromEntries(
    Object.entries(doc.config)
      .filter(([k]) => k.startsWith("kubeadm-ha:") && k !== "kubeadm-ha:sshPrivateKey")
      .map(([k, v]) => [k.slice("kubeadm-ha:".length), v]),
  );
  const config = validateConfig(raw, {
    sshPrivateKey: false,
    readFile: (p) => (fs.existsSync(p) ? fs.readFileSync(p, "utf8") : undefined),
  });
  // (as index.ts: the stack's previous deployment is read first)
  const previous = await previousDeployment();
  const infra = createInfrastructure(config.clusterName, config, pulumi.secret("key"));
  const cluster = new Cluster(config.clusterName, {
    nodes: infra.nodes,
    spec: clusterSpecOf(config),
    runningKubernetesVersion: previous.kubernetesVersion,
  });
  await resolve(cluster.etcdEndpoints);
  await settle();
  const counts: Record<string, number> = {};
  for (const r of recorded) counts[r.type] = (counts[r.type] ?? 0) + 1;
  console.log(JSON.stringify(counts));
}

main(process.argv[2]).catch((e) => {
  console.error(e);
  process.exit(1);
});
