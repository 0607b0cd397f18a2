// The npm package: it builds, its public exports load, and the embedding example type-checks
// against them as another team's program would.

import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const root = path.join(__dirname, "..", "..");
const tsc = path.join(root, "node_modules", ".bin", "tsc");

describe("the kubeadm-ha package", () => {
  it("builds and exports the components, providers and config validation", () => {
    // inside the project (git-ignored .cache/) so the build resolves the project's node_modules
    fs.mkdirSync(path.join(root, ".cache"), { recursive: true });
    const out = fs.mkdtempSync(path.join(root, ".cache", "package-test-"));
    try {
      execFileSync(tsc, ["-p", path.join(root, "tsconfig.build.json"), "--outDir", out], { cwd: root, encoding: "utf8" });
      const lib = require(path.join(out, "lib.js"));
      for (const name of [
        "Cluster",
        "ClusterPki",
        "HostPrep",
        "EtcdCluster",
        "ControlPlane",
        "Workers",
        "ApiserverProxy",
        "Cni",
        "ServiceLoadBalancer",
        "MetricsServer",
        "BareMetalInfrastructure",
        "AwsInfrastructure",
        "DigitalOceanInfrastructure",
        "createInfrastructure",
        "validateConfig",
        "ConfigError",
        "sshConnection",
      ]) {
        expect(typeof lib[name]).toBe("function");
      }
      expect(fs.existsSync(path.join(out, "lib.d.ts"))).toBe(true);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 120000);

  it("type-checks the embedding example (examples/embed)", () => {
    expect(() =>
      execFileSync(tsc, ["-p", path.join(root, "examples", "embed", "tsconfig.json")], { cwd: root, encoding: "utf8" }),
    ).not.toThrow();
  }, 120000);
});
