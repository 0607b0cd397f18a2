// npm run bench: evaluates the whole program under mocks for growing clusters and prints the
// resources registered and the evaluation time per size, with per-node ratios so linear growth
// (and any super-linear step) is visible. Reports figures; asserts nothing about time.

import * as pulumi from "@pulumi/pulumi";
import { recorded, resetRecorded, resolve, settle, setupMocks } from "../unit/harness";
import { validateConfig } from "../../config/validate";
import { createInfrastructure } from "../../providers";
import { clusterSpecOf } from "../../config/clusterSpec";
import { Cluster } from "../../components/cluster";
import { TEST_HOST_KEY } from "../unit/hostKey";

const SIZES = (process.env.KHA_BENCH_SIZES ?? "3,10,30,100").split(",").map(Number);
const KEY = pulumi.secret("-----BEGIN OPENSSH PRIVATE KEY-----\nbench\n-----END OPENSSH PRIVATE KEY-----\n");

function hosts(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    name: `node-${i + 1}`,
    address: `10.77.${Math.floor((i + 11) / 250)}.${((i + 11) % 250) + 1}`,
    hostKey: TEST_HOST_KEY,
    // 3 control planes; a 3-node cluster also runs workloads and the load balancer on them
    roles:
      i < 3
        ? n === 3
          ? ["control-plane", "worker", "loadbalancer"]
          : ["control-plane"]
        : i === 3
          ? ["worker", "loadbalancer"]
          : ["worker"],
  }));
}

async function evaluate(n: number): Promise<{ resources: number; ms: number }> {
  setupMocks(`bench-${n}`);
  resetRecorded();
  const start = process.hrtime.bigint();
  const config = validateConfig({ provider: "baremetal", cni: "bridge", hosts: hosts(n) }, { sshPrivateKey: true });
  const infra = createInfrastructure(config.clusterName, config, KEY);
  const cluster = new Cluster(config.clusterName, { nodes: infra.nodes, spec: clusterSpecOf(config) });
  await resolve(cluster.kubeconfig!);
  await settle();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { resources: recorded.length, ms };
}

async function main(): Promise<void> {
  await evaluate(3); // warm-up: module loading and JIT are not part of any size
  const rows: { n: number; resources: number; ms: number }[] = [];
  for (const n of SIZES) rows.push({ n, ...(await evaluate(n)) });
  console.log("nodes  resources  resources/node  eval ms  ms/node");
  for (const r of rows) {
    console.log(
      `${String(r.n).padStart(5)}  ${String(r.resources).padStart(9)}  ${(r.resources / r.n).toFixed(1).padStart(14)}  ${r.ms.toFixed(0).padStart(7)}  ${(r.ms / r.n).toFixed(1).padStart(7)}`,
    );
  }
  const [small, large] = [rows[0], rows[rows.length - 1]];
  // marginal cost per added node, small -> large: constant marginal cost is linear growth
  const perNode = (large.resources - small.resources) / (large.n - small.n);
  console.log(`marginal resources per added node (${small.n} -> ${large.n}): ${perNode.toFixed(2)}`);
  console.log(`time ratio ${large.n}/${small.n} nodes: ${(large.ms / small.ms).toFixed(1)}x for ${(large.n / small.n).toFixed(1)}x nodes`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
