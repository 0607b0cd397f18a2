// program.js (the entry Pulumi runs) runs dist/ only when `npm run build` made it from the sources
// as they are now; a stale or missing build falls back to the TypeScript. Checked on a scratch tree.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as Module from "module";
import * as path from "path";

const PROGRAM = path.join(__dirname, "..", "..", "program.js");

describe("program.js picks the compiled program only when it is fresh", () => {
  let dir: string;
  const node = (...args: string[]) => spawnSync(process.execPath, [path.join(dir, "program.js"), ...args], { encoding: "utf8" });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "kha-program-"));
    fs.copyFileSync(PROGRAM, path.join(dir, "program.js"));
    fs.writeFileSync(path.join(dir, "index.ts"), "export = async () => ({ from: 'ts' });\n");
    fs.mkdirSync(path.join(dir, "components"));
    fs.writeFileSync(path.join(dir, "components", "a.ts"), "export const a = 1;\n");
    fs.writeFileSync(path.join(dir, "components", "a.test.ts"), "// a test: not part of the program\n");
    fs.mkdirSync(path.join(dir, "dist"));
    fs.writeFileSync(path.join(dir, "dist", "index.js"), "module.exports = async () => ({ from: 'dist' });\n");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("is fresh right after the build stamped it, and loads dist/", () => {
    expect(node("--check").status).toBe(1); // never stamped
    expect(node("--stamp").status).toBe(0);
    expect(node("--check").status).toBe(0);
    const loaded = spawnSync(
      process.execPath,
      ["-e", `require(${JSON.stringify(path.join(dir, "program.js"))})().then((r) => console.log(r.from))`],
      {
        encoding: "utf8",
      },
    );
    expect(loaded.stdout.trim()).toBe("dist");
  });

  it("formats stacks with V8's own formatter when it runs dist/, not source-map-support's", () => {
    // Pulumi's runner registers source-map-support before loading the program; every resource and
    // tracked promise then pays for a mapped stack trace (program.js says what that costs)
    node("--stamp");
    const formatter = (load: string) =>
      spawnSync(process.execPath, ["-r", "source-map-support/register", "-e", `${load}; console.log(typeof Error.prepareStackTrace)`], {
        encoding: "utf8",
        cwd: path.join(__dirname, "..", ".."),
      }).stdout.trim();
    expect(formatter("")).toBe("function"); // what the runner leaves
    expect(formatter(`require(${JSON.stringify(path.join(dir, "program.js"))})`)).toBe("undefined");
  });

  it("keeps V8's compiled code of the modules it loads in node_modules/.cache (Node.js's compile cache)", () => {
    node("--stamp");
    const loaded = spawnSync(
      process.execPath,
      ["-e", `require(${JSON.stringify(path.join(dir, "program.js"))}); console.log(require("module").getCompileCacheDir?.() ?? "")`],
      { encoding: "utf8", env: { ...process.env, NODE_COMPILE_CACHE: "" } },
    );
    if (typeof (Module as { enableCompileCache?: unknown }).enableCompileCache !== "function") {
      // Node.js before 22.1 has no compile cache: the program loads all the same (the repository's
      // own Node.js, dev/engine/env.sh, has one)
      expect(loaded.status).toBe(0);
      return;
    }
    expect(path.dirname(loaded.stdout.trim())).toBe(path.join(dir, "node_modules", ".cache", "kubeadm-ha-compile"));
  });

  it("is stale after any program source changes, is added or removed; tests do not count", () => {
    node("--stamp");
    fs.writeFileSync(path.join(dir, "components", "a.test.ts"), "// edited test\n");
    expect(node("--check").status).toBe(0);
    fs.writeFileSync(path.join(dir, "components", "a.ts"), "export const a = 2;\n");
    expect(node("--check").status).toBe(1);
    node("--stamp");
    fs.writeFileSync(path.join(dir, "components", "b.ts"), "export const b = 1;\n");
    expect(node("--check").status).toBe(1);
    node("--stamp");
    fs.rmSync(path.join(dir, "components", "b.ts"));
    expect(node("--check").status).toBe(1);
  });

  it("is stale when dist/index.js is gone even with a matching stamp", () => {
    node("--stamp");
    fs.rmSync(path.join(dir, "dist", "index.js"));
    expect(node("--check").status).toBe(1);
  });
});
