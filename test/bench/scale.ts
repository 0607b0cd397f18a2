// npm run bench: evaluates the whole program under mocks for growing clusters and prints the
// resources registered and the evaluation time per size, with per-node ratios so linear growth
// (and any super-linear step) is visible. Reports figures; asserts nothing about time.
// test/bench/eval.sh runs it compiled (as the published library runs in an embedding program);
// `npm run bench:ts-node` runs it through ts-node, as `pulumi up` runs this repository's program.

import * as pulumi from "@pulumi/pulumi";
import { recorded, resetRecorded, resolve, settle, setupMocks } from "../unit/harness";
import { validateConfig } from "../../config/validate";
import { createInfrastructure } from "../../providers";
import { clusterSpecOf } from "../../config/clusterSpec";
import { Cluster } from "../../components/cluster";
import { TEST_HOST_KEY } from "../unit/hostKey";

const SIZES = (process.env.KHA_BENCH_SIZES ?? "3,10,30,100,300").split(",").map(Number);
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

interface Row {
  n: number;
  resources: number;
  ms: number;
  /** bytes of every resource's inputs as JSON: the stack's state holds them, and commands' outputs repeat them */
  inputBytes: number;
}

async function evaluate(n: number): Promise<Omit<Row, "n">> {
  setupMocks(`bench-${n}`);
  resetRecorded();
  const start = process.hrtime.bigint();
  // a /24 per node: past 255 nodes the pod range must be wider than the default /16
  const podCidr = `10.128.0.0/${Math.min(16, 24 - Math.ceil(Math.log2(n + 1)))}`;
  const config = validateConfig({ provider: "baremetal", cni: "bridge", hosts: hosts(n), podCidr }, { sshPrivateKey: true });
  const infra = createInfrastructure(config.clusterName, config, KEY);
  const cluster = new Cluster(config.clusterName, { nodes: infra.nodes, spec: clusterSpecOf(config) });
  await resolve(cluster.kubeconfig!);
  await settle();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const inputBytes = recorded.reduce((sum, r) => sum + JSON.stringify(r.inputs ?? {}).length, 0);
  return { resources: recorded.length, ms, inputBytes };
}

async function main(): Promise<void> {
  await evaluate(3); // warm-up: module loading and JIT are not part of any size
  const rows: Row[] = [];
  for (const n of SIZES) rows.push({ n, ...(await evaluate(n)) });
  console.log("nodes  resources  resources/node  eval ms  ms/node  inputs KB  inputs KB/node");
  for (const r of rows) {
    const kb = r.inputBytes / 1024;
    console.log(
      `${String(r.n).padStart(5)}  ${String(r.resources).padStart(9)}  ${(r.resources / r.n).toFixed(1).padStart(14)}  ${r.ms.toFixed(0).padStart(7)}  ${(r.ms / r.n).toFixed(1).padStart(7)}  ${kb.toFixed(0).padStart(9)}  ${(kb / r.n).toFixed(1).padStart(14)}`,
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
