// The entry Pulumi runs (Pulumi.yaml: main program.js, runtime typescript: false). When `npm run build`
// compiled these very sources into dist/ (dist/.sources holds their digest), it runs the compiled
// program: no TypeScript to transpile on every run (a no-op `pulumi up` of the dev stack took 9.0 s
// compiled, 9.6-10.3 s through ts-node). Otherwise, a fresh clone or an edited source, it runs the
// TypeScript through ts-node as before: a stale build is never run.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const ROOTS = ["index.ts", "lib.ts", "config", "providers", "components", "status"];

/** sha256 over every program source (tests excluded), by path and content */
function sourcesDigest(root = __dirname) {
  const files = [];
  const walk = (rel) => {
    const abs = path.join(root, rel);
    if (!fs.existsSync(abs)) return;
    if (fs.statSync(abs).isDirectory()) {
      for (const name of fs.readdirSync(abs).sort()) walk(path.join(rel, name));
    } else if (rel.endsWith(".ts") && !rel.endsWith(".test.ts")) {
      files.push(rel);
    }
  };
  ROOTS.forEach(walk);
  const hash = crypto.createHash("sha256");
  for (const rel of files) hash.update(`${rel}\n`).update(fs.readFileSync(path.join(root, rel)));
  return hash.digest("hex");
}

const STAMP = path.join(__dirname, "dist", ".sources");

function fresh() {
  try {
    return fs.readFileSync(STAMP, "utf8") === sourcesDigest() && fs.existsSync(path.join(__dirname, "dist", "index.js"));
  } catch {
    return false;
  }
}

if (require.main === module) {
  // `node program.js --stamp` after tsc records what dist/ was built from; `--check` exits 1 when stale
  if (process.argv[2] === "--stamp") fs.writeFileSync(STAMP, sourcesDigest());
  else process.exit(fresh() ? 0 : 1);
} else {
  // V8's compiled code of every module loaded from here on (the providers' SDKs, the program) is kept
  // across runs (Node.js's compile cache): compiling them was about a fifth of the program's CPU time
  // in a `pulumi preview` of the dev stack (500 ms, 170 ms with the cache). Where node_modules cannot
  // be written the cache stays off and nothing else changes.
  require("module").enableCompileCache?.(path.join(__dirname, "node_modules", ".cache", "kubeadm-ha-compile"));
  if (fresh()) {
    // Pulumi's Node.js runner registers source-map-support before it loads the program, and the SDK
    // formats a stack trace for every resource it registers and every promise it tracks (where each
    // resource was made; where a leaked promise came from). Mapped through source-map-support, those
    // stacks cost more than the rest of the evaluation: under mocks 100 nodes took 9.7 s with it and
    // 3.6 s with V8's own formatting (test/bench/eval.sh). The compiled program keeps V8's formatting:
    // a stack names dist/*.js lines, and configuration errors carry no stack at all.
    Error.prepareStackTrace = undefined;
    module.exports = require("./dist/index.js");
  } else {
    require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "tsconfig.pulumi.json") });
    module.exports = require("./index.ts");
  }
}
